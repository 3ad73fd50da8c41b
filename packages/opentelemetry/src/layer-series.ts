import type { Attributes } from '@opentelemetry/api';
import { ATTR } from './names.js';
import { AttributeSets } from './series.js';

/** The attribute sets of every metric one layer reports, over one base (pipeline, layer, maybe key). */
export class LayerSeries {
  readonly execution: AttributeSets;
  readonly attempt: AttributeSets;
  readonly retries: AttributeSets;
  readonly giveUps: AttributeSets;
  readonly rejections: AttributeSets;
  readonly fallbacks: AttributeSets;
  readonly transitions: AttributeSets;
  readonly circuitStates: AttributeSets;
  readonly limitChanges: AttributeSets;

  constructor(readonly base: Attributes) {
    this.execution = new AttributeSets(base, ATTR.outcome, ATTR.errorType);
    this.attempt = new AttributeSets(base, ATTR.outcome, ATTR.errorType);
    this.retries = new AttributeSets(base, ATTR.delaySource, ATTR.errorType);
    this.giveUps = new AttributeSets(base, ATTR.giveUpReason, ATTR.errorType);
    this.rejections = new AttributeSets(base, ATTR.rejectionReason);
    this.fallbacks = new AttributeSets(base, ATTR.errorType);
    this.transitions = new AttributeSets(base, ATTR.circuitState, ATTR.previousCircuitState);
    this.circuitStates = new AttributeSets(base, ATTR.circuitState);
    this.limitChanges = new AttributeSets(base, ATTR.limitDirection);
  }

  /** The base attributes of a layer. */
  static baseOf(pipeline: string, policy: string, key: string | undefined): Attributes {
    const base: Attributes = { [ATTR.pipeline]: pipeline, [ATTR.policy]: policy };
    if (key !== undefined) base[ATTR.key] = key;
    return base;
  }
}
