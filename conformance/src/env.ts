/** What a runtime's entry point hands the suite. */
export interface SuiteEnv {
  /**
   * Base URL of the harness's HTTP server on 127.0.0.1 (see harness/server.mjs), for `resilientFetch`. Undefined:
   * the network tests are skipped by not being registered, and the runtime's report says so by its lower count.
   */
  readonly baseUrl?: string | undefined;
  /** A URL on 127.0.0.1 where nothing listens (connections are refused), for the network-error tests. */
  readonly refusedUrl?: string | undefined;
}
