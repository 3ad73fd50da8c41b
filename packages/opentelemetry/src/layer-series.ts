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
  readonly thresholds: AttributeSets;
  readonly limitChanges: AttributeSets;

  /**
   * `base`: the layer's attributes (pipeline, layer name, maybe key). Executions and attempts are the pipeline's,
   * not a layer's: their series leave the layer's name out (`pipelineBase`), which also keeps the attribute sets
   * of the two records a successful call makes small (an SDK hashes them on every record).
   */
  constructor(
    readonly base: Attributes,
    pipelineBase: Attributes,
  ) {
    this.execution = new AttributeSets(pipelineBase, ATTR.outcome, ATTR.errorType);
    this.attempt = new AttributeSets(pipelineBase, ATTR.outcome, ATTR.errorType);
    this.retries = new AttributeSets(base, ATTR.delaySource, ATTR.errorType);
    this.giveUps = new AttributeSets(base, ATTR.giveUpReason, ATTR.errorType);
    this.rejections = new AttributeSets(base, ATTR.rejectionReason);
    this.fallbacks = new AttributeSets(base, ATTR.errorType);
    this.transitions = new AttributeSets(base, ATTR.circuitState, ATTR.previousCircuitState);
    this.circuitStates = new AttributeSets(base, ATTR.circuitState);
    this.thresholds = new AttributeSets(base, ATTR.circuitThreshold);
    this.limitChanges = new AttributeSets(base, ATTR.limitDirection);
  }

  /** The series of a layer of `pipeline` named `policy`, for `key` when keys are attributes. */
  static of(pipeline: string, policy: string, key: string | undefined): LayerSeries {
    const pipelineBase: Attributes = { [ATTR.pipeline]: pipeline };
    if (key !== undefined) pipelineBase[ATTR.key] = key;
    const base: Attributes = { [ATTR.pipeline]: pipeline, [ATTR.policy]: policy };
    if (key !== undefined) base[ATTR.key] = key;
    return new LayerSeries(base, pipelineBase);
  }
}
