import type { Attributes } from '@opentelemetry/api';

/**
 * The attribute sets of one series family: a base (pipeline, layer, maybe key) plus up to two attributes whose
 * values vary per data point (outcome and error type, a reason...). Each distinct set is built once and reused, so
 * recording a data point allocates nothing; the values are bounded (outcomes, error names, reasons), and so is the
 * cache.
 */
export class AttributeSets {
  private readonly sets = new Map<string, Attributes>();

  constructor(
    readonly base: Attributes,
    private readonly first: string,
    private readonly second?: string,
  ) {}

  /** The base plus `first: a` (and `second: b` when given). */
  get(a: string, b?: string): Attributes {
    const id = b === undefined ? a : `${a}\u0000${b}`;
    let set = this.sets.get(id);
    if (set === undefined) {
      set = { ...this.base, [this.first]: a };
      if (b !== undefined && this.second !== undefined) set[this.second] = b;
      this.sets.set(id, set);
    }
    return set;
  }
}
