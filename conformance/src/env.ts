/** What a runtime's entry point hands the suite. */
export interface SuiteEnv {
  /**
   * Base URL of the harness's HTTP server on 127.0.0.1 (see harness/server.mjs), for `resilientFetch`. Undefined:
   * the network tests are skipped by not being registered, and the runtime's report says so by its lower count.
   */
  readonly baseUrl?: string | undefined;
}
