/** The composition name of a bare call that also reads the clock once: the floor of a per-call time check. */
export const CLOCK_READ = 'bare call + Date.now()';
