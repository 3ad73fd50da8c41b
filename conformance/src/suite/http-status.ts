import {
  classify,
  delayHintMs,
  isAbortError,
  isIdempotentMethod,
  MAX_HINT_MS,
  parseHttpDate,
  parseRetryAfter,
  readDelayHint,
} from '@bulwark/http-status';
import { deepEqual, equal, ok } from '../assert.js';
import type { Suite } from '../runner.js';

export function registerHttpStatus(suite: Suite): void {
  const t = suite.group('http-status');

  t('parseRetryAfter: delta-seconds, the three HTTP-date formats, garbage', () => {
    equal(parseRetryAfter('120'), 120_000);
    equal(parseRetryAfter('1.5'), 1_500);
    const now = Date.UTC(1994, 10, 6, 8, 49, 0);
    equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now), 37_000);
    equal(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now), 37_000);
    equal(parseRetryAfter('Sun Nov  6 08:49:37 1994', now), 37_000);
    equal(parseRetryAfter('Sun, 06 Nov 1994 08:00:00 GMT', now), 0, 'a past date is 0');
    for (const bad of [
      '',
      'soon',
      '-1',
      'NaN',
      'Infinity',
      '1e400',
      'Sun, 30 Feb 1994 08:49:37 GMT',
      null,
      42,
    ]) {
      equal(parseRetryAfter(bad as string), undefined, `garbage ${String(bad)}`);
    }
    equal(parseRetryAfter(String(MAX_HINT_MS / 1000 + 1)), undefined, 'beyond MAX_HINT_MS');
  });

  t('parseHttpDate gives epoch ms for every RFC 9110 format', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), expected);
    equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), expected);
    equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), expected);
    equal(parseHttpDate('Sun, 06 Nov 1994 24:49:37 GMT'), undefined);
  });

  t("readDelayHint reads this runtime's Headers and plain records", () => {
    deepEqual(readDelayHint(new Headers({ 'retry-after-ms': '250' })), {
      delayMs: 250,
      header: 'retry-after-ms',
    });
    deepEqual(readDelayHint(new Headers({ 'Retry-After': '3' })), { delayMs: 3_000, header: 'retry-after' });
    deepEqual(readDelayHint({ RateLimit: 'limit=100, remaining=0, reset=30' }), {
      delayMs: 30_000,
      header: 'ratelimit',
    });
    equal(
      delayHintMs(
        new Headers({ 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-requests': '0' }),
      ),
      360_000,
    );
    const date = 'Sun, 06 Nov 1994 08:49:00 GMT';
    equal(
      delayHintMs(new Headers({ date, 'retry-after': 'Sun, 06 Nov 1994 08:49:37 GMT' })),
      37_000,
      'measured from Date',
    );
    equal(readDelayHint(new Headers({ 'retry-after': 'later' })), undefined);
    equal(
      readDelayHint({
        get: () => {
          throw new Error('broken');
        },
      }),
      undefined,
      'a throwing getter gives nothing',
    );
  });

  t('classify: the decision table', () => {
    deepEqual(classify(503), {
      status: 503,
      kind: 'transient',
      retryable: true,
      breakerFailure: true,
      retry: true,
    });
    equal(classify(503, { method: 'POST' }).retry, false, 'a POST is not repeated');
    equal(classify(503, { method: 'POST', idempotencyKey: true }).retry, true);
    equal(classify(429).kind, 'throttled');
    equal(classify(429).breakerFailure, false);
    equal(classify(404).kind, 'clientError');
    equal(classify(501).breakerFailure, false);
    equal(classify(0).kind, 'success', 'an opaque browser response');
    ok(isIdempotentMethod('put') && !isIdempotentMethod('POST'));
  });

  t("isAbortError recognises this runtime's abort and timeout signals", () => {
    const controller = new AbortController();
    controller.abort();
    ok(
      isAbortError(controller.signal.reason),
      `AbortController's reason (${String(controller.signal.reason)})`,
    );
    ok(isAbortError(new DOMException('gone', 'AbortError')));
    ok(isAbortError(new DOMException('slow', 'TimeoutError')));
  });
}
