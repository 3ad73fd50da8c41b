/** Weight of a new sample in the smoothed service time (TCP's 1/8). */
const RTT_GAIN = 0.125;
/** Weight of a new sample in the mean deviation of the service time (TCP's 1/4). */
const RTTVAR_GAIN = 0.25;
/** Mean deviations of the service time a waiter must have left, on top of the smoothed service time, to be sent. */
const DEADLINE_MARGIN_DEVIATIONS = 2;

/**
 * How long successful calls take, estimated as TCP estimates a round trip (RFC 6298): a smoothed mean (SRTT) and a
 * smoothed mean deviation (RTTVAR). Pure: samples come in as durations, nothing here reads a clock.
 */
export class ServiceTime {
  /** Smoothed duration of successful calls (ms), undefined until one was timed. */
  private srtt: number | undefined;
  /** Mean deviation of the service time (TCP's RTTVAR), meaningful once srtt is defined. */
  private rttvar = 0;

  /** The duration assumed until one was timed (ms, > 0). */
  constructor(private readonly initial: number) {}

  /** The smoothed service time (ms), undefined until a success was timed. */
  get smoothed(): number | undefined {
    return this.srtt;
  }

  /** The smoothed mean deviation (ms); 0 until a success was timed. */
  get deviation(): number {
    return this.rttvar;
  }

  /** The service time to plan with (ms): the smoothed one, or the initial assumption before any sample. */
  get current(): number {
    return this.srtt ?? this.initial;
  }

  /**
   * How long a call sent now will likely take: the smoothed service time plus two mean deviations (0 before any
   * call was timed). A waiter with less time left is not sent: in a backlog the earliest deadlines are served
   * first, so without the margin about half the calls sent would be cut by their deadline on the way, wasting the
   * dependency's capacity and teaching the limit nothing.
   */
  get likely(): number {
    return this.srtt === undefined ? 0 : this.srtt + DEADLINE_MARGIN_DEVIATIONS * this.rttvar;
  }

  /** Learns from a successful call that took `sample` ms. */
  record(sample: number): void {
    if (this.srtt === undefined) {
      this.srtt = sample;
      this.rttvar = sample / 2;
    } else {
      this.rttvar += (Math.abs(sample - this.srtt) - this.rttvar) * RTTVAR_GAIN;
      this.srtt += (sample - this.srtt) * RTT_GAIN;
    }
  }
}
