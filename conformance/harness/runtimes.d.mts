// Types of what the benchmarks reuse from runtimes.mjs (benchmarks/src/overhead/runtimes.ts): the runtimes and how
// to get their binaries.
export interface RuntimeSpec {
  readonly kind: 'cli' | 'browser' | 'workerd';
  readonly bin?: string;
  readonly npm?: string;
  readonly describe?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}
export declare const RUNTIMES: Readonly<Record<string, RuntimeSpec>>;
/** The binary's absolute path: installs the npm package into npx's cache on first use. */
export declare function resolveBinary(spec: RuntimeSpec): Promise<string>;
