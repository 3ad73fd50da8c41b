/**
 * parseGeminiError on refused credentials and on prompts too long for the model, with the bodies Gemini sends
 * (as reported in public issue threads: google/generative-ai-docs#356, continuedev/continue#11541,
 * google-gemini/gemini-cli#6678, #4231, #4118).
 */
import { describe, expect, it } from 'vitest';
import { parseGeminiError } from '../../src/index.js';

const RPC = 'type.googleapis.com/google.rpc.';
/** An SDK ApiError as it reaches the caller: the JSON body as its message. */
const apiError = (status: number, body: unknown) =>
  Object.assign(new Error(JSON.stringify(body)), { name: 'ApiError', status });

describe('refused credentials', () => {
  it.each([
    [
      'a suspended key (403, CONSUMER_SUSPENDED)',
      403,
      {
        code: 403,
        message: "Permission denied: Consumer 'api_key:AIza-test' has been suspended.",
        status: 'PERMISSION_DENIED',
        details: [{ '@type': `${RPC}ErrorInfo`, reason: 'CONSUMER_SUSPENDED', domain: 'googleapis.com' }],
      },
    ],
    [
      'a leaked key (403)',
      403,
      {
        code: 403,
        message: 'Your API key was reported as leaked. Please use another API key.',
        status: 'PERMISSION_DENIED',
      },
    ],
    [
      'an invalid key (400, API_KEY_INVALID)',
      400,
      {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': `${RPC}ErrorInfo`, reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
      },
    ],
    [
      'an unauthenticated call (401)',
      401,
      { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' },
    ],
    [
      'a region the API does not serve (400 FAILED_PRECONDITION)',
      400,
      {
        code: 400,
        message: 'User location is not supported for the API use.',
        status: 'FAILED_PRECONDITION',
      },
    ],
  ])('%s: a clientError with credentialsRefused', (_label, status, error) => {
    const failure = parseGeminiError(apiError(status, { error }));
    expect(failure).toMatchObject({ kind: 'clientError', status, credentialsRefused: true });
  });

  it("a plain 400 INVALID_ARGUMENT is the request's own fault, never the credentials'", () => {
    const failure = parseGeminiError(
      apiError(400, {
        error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' },
      }),
    );
    expect(failure).toMatchObject({ kind: 'clientError', credentialsRefused: false });
  });

  it('the double-wrapped form (a non-JSON content type) is read the same way', () => {
    const inner = JSON.stringify({
      error: {
        code: 403,
        message: 'Your API key was reported as leaked. Please use another API key.',
        status: 'PERMISSION_DENIED',
      },
    });
    const failure = parseGeminiError(
      apiError(403, { error: { message: inner, code: 403, status: 'Forbidden' } }),
    );
    expect(failure).toMatchObject({ kind: 'clientError', credentialsRefused: true });
  });
});

describe('a prompt too long for the model', () => {
  const message = 'The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).';

  it('the 400 with its legacy errors list: kind contextWindowExceeded, with both counts', () => {
    const failure = parseGeminiError(
      apiError(400, {
        error: {
          code: 400,
          message,
          errors: [{ message, domain: 'global', reason: 'badRequest' }],
          status: 'INVALID_ARGUMENT',
        },
      }),
      { model: 'gemini-2.5-pro' },
    );
    expect(failure).toMatchObject({
      kind: 'contextWindowExceeded',
      status: 400,
      inputTokens: 1_200_293,
      inputTokenLimit: 1_048_576,
      model: 'gemini-2.5-pro',
      credentialsRefused: false,
      transient: false,
    });
  });

  it('the stream form ("got status: INVALID_ARGUMENT. {...}") too', () => {
    const body = JSON.stringify({ error: { code: 400, message, status: 'INVALID_ARGUMENT' } });
    const failure = parseGeminiError(
      Object.assign(new Error(`got status: INVALID_ARGUMENT. ${body}`), { name: 'ApiError' }),
    );
    expect(failure).toMatchObject({ kind: 'contextWindowExceeded', inputTokenLimit: 1_048_576 });
  });
});
