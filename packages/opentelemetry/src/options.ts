import { InvalidOptionError } from '@bulwark/core';
import { describe, optionalBoolean, optionsOf, optionalString, requireMethods } from '@bulwark/core/validate';
import { type Meter, type MeterProvider, metrics, trace, type TracerProvider } from '@opentelemetry/api';
import { SCOPE, SCOPE_VERSION } from './names.js';

/** Options of `instrument()` and `instrumentGemini()`. */
export interface InstrumentOptions {
  /**
   * Where the metrics go. Default: the global MeterProvider (`metrics.getMeterProvider()` of
   * `@opentelemetry/api`), a no-op until the application registers an SDK.
   */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Traces. `false`: no span events (and no span for Gemini calls). Default: the global TracerProvider. Policies
   * start no span: they add events to the span active when the execution started, whoever started it (with no SDK
   * registered there is none, and nothing is done). The Gemini client starts one span per call with this provider.
   */
  readonly tracerProvider?: TracerProvider | false | undefined;
  /**
   * `bulwark.pipeline.name` of every series: which dependency this policy guards (`inventory`, `gemini`). Default:
   * the policy's name (`pipeline` for a pipeline, `keyed` for a keyed registry, `gemini` for the Gemini client).
   * Two policies instrumented under one name share their series.
   */
  readonly name?: string | undefined;
  /**
   * A `bulwark.key` attribute with the key of a keyed registry (and of a rate limiter's per-call keys): one series
   * per key. Default false: every key's data in the policy's series, so that a per-user or per-tenant key cannot
   * multiply the series. Turn it on only for a small, bounded set of keys (a few models or hosts).
   */
  readonly keyAttribute?: boolean | undefined;
}

/** The options, checked and resolved once. */
export interface Settings {
  readonly meter: Meter;
  /** undefined: traces are off. */
  readonly tracerProvider: TracerProvider | undefined;
  readonly name: string | undefined;
  readonly keyAttribute: boolean;
}

export function resolveOptions(options: InstrumentOptions | undefined): Settings {
  const o = optionsOf<InstrumentOptions>(options);
  const meterProvider =
    o.meterProvider === undefined
      ? metrics.getMeterProvider()
      : requireMethods<MeterProvider>('meterProvider', o.meterProvider, ['getMeter'], 'a MeterProvider');
  let tracerProvider: TracerProvider | undefined;
  if (o.tracerProvider === undefined) tracerProvider = trace.getTracerProvider();
  else if (o.tracerProvider === false) tracerProvider = undefined;
  else if (o.tracerProvider === null || (o.tracerProvider as unknown) === true) {
    throw new InvalidOptionError(
      'tracerProvider',
      `expected a TracerProvider or false, got ${describe(o.tracerProvider)}`,
    );
  } else {
    tracerProvider = requireMethods<TracerProvider>(
      'tracerProvider',
      o.tracerProvider,
      ['getTracer'],
      'a TracerProvider or false',
    );
  }
  const name = optionalString('name', o.name);
  if (name === '') throw new InvalidOptionError('name', 'expected a non-empty string, got ""');
  return {
    meter: meterProvider.getMeter(SCOPE, SCOPE_VERSION),
    tracerProvider,
    name,
    keyAttribute: optionalBoolean('keyAttribute', o.keyAttribute) ?? false,
  };
}
