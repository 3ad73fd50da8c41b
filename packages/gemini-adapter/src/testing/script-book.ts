/** Scripted steps and defaults, and which of them answers a request. */
import { InvalidOptionError } from '@bulwark/core';
import { describe, optionalString, requireRecord } from '@bulwark/core/validate';
import type { FakeRequest, RequestMatcher, Step } from './types.js';

interface Matcher {
  readonly model?: string | undefined;
  readonly method?: string | undefined;
  readonly apiVersion?: string | undefined;
}

interface Script {
  readonly matcher: Matcher;
  readonly steps: Step[];
}

function toMatcher(matcher: RequestMatcher): Matcher {
  if (typeof matcher === 'string') return { model: matcher };
  const { model, method, apiVersion } = requireRecord<Matcher>(
    'matcher',
    matcher,
    'a model id or { model, method, apiVersion }',
  );
  return {
    model: optionalString('matcher.model', model),
    method: optionalString('matcher.method', method),
    apiVersion: optionalString('matcher.apiVersion', apiVersion),
  };
}

function matches(matcher: Matcher, request: FakeRequest): boolean {
  return (
    (matcher.model === undefined || matcher.model === request.model) &&
    (matcher.method === undefined || matcher.method === request.method) &&
    (matcher.apiVersion === undefined || matcher.apiVersion === request.apiVersion)
  );
}

/** More fields = more specific; a request is answered by the most specific script with steps left. */
function specificity(matcher: Matcher): number {
  return (
    (matcher.model === undefined ? 0 : 1) +
    (matcher.method === undefined ? 0 : 1) +
    (matcher.apiVersion === undefined ? 0 : 1)
  );
}

/** A scripted step (`ok()`, a `fault.*()` behaviour, or a function of the request returning one). */
export function checkStep(step: unknown, name = 'step'): Step {
  if (typeof step === 'function') return step as Step;
  if (typeof step !== 'object' || step === null || typeof (step as { kind?: unknown }).kind !== 'string') {
    throw new InvalidOptionError(
      name,
      `expected ok(), a fault.*() behaviour, or a function returning one, got ${describe(step)}`,
    );
  }
  return step as Step;
}

export class ScriptBook {
  private scripts: Script[] = [];
  private defaults: { matcher: Matcher; step: Step }[] = [];

  add(matcher: RequestMatcher | undefined, steps: readonly Step[]): void {
    if (!Array.isArray(steps)) {
      throw new InvalidOptionError('steps', `expected an array of steps, got ${describe(steps)}`);
    }
    const script = {
      matcher: matcher === undefined ? {} : toMatcher(matcher),
      steps: steps.map((step) => checkStep(step)),
    };
    this.scripts.push(script);
    // Stable sort: most specific first, registration order within a level.
    this.scripts.sort((a, b) => specificity(b.matcher) - specificity(a.matcher));
  }

  setDefault(matcher: RequestMatcher | undefined, step: Step): void {
    const m = matcher === undefined ? {} : toMatcher(matcher);
    this.defaults = this.defaults.filter((d) => JSON.stringify(d.matcher) !== JSON.stringify(m));
    this.defaults.push({ matcher: m, step: checkStep(step) });
    this.defaults.sort((a, b) => specificity(b.matcher) - specificity(a.matcher));
  }

  /** Takes the next scripted step for the request, if any script matches it. */
  take(request: FakeRequest): Step | undefined {
    for (const script of this.scripts) {
      if (script.steps.length > 0 && matches(script.matcher, request)) return script.steps.shift();
    }
    return undefined;
  }

  defaultFor(request: FakeRequest): Step | undefined {
    return this.defaults.find((d) => matches(d.matcher, request))?.step;
  }

  get pending(): number {
    let n = 0;
    for (const script of this.scripts) n += script.steps.length;
    return n;
  }

  clear(): void {
    this.scripts = [];
    this.defaults = [];
  }
}
