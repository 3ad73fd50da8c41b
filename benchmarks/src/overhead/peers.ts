/**
 * The peer libraries the overhead suite measures, for the Node running it: of each peer's installed versions
 * (package.json aliases, newest first), the newest whose `engines.node` admits this Node. cockatiel 4 declares
 * Node >= 22, so Node 20 measures cockatiel 3; opossum 10 and p-retry 9 declare Node >= 22 likewise.
 */
import { readFileSync } from 'node:fs';
import type * as Cockatiel from 'cockatiel';
import type CircuitBreakerClass from 'opossum';
import type pRetryFn from 'p-retry';
import type BottleneckClass from 'bottleneck';

/** Installed versions of each peer, newest first (aliases in benchmarks/package.json). */
const CANDIDATES = {
  cockatiel: ['cockatiel', 'cockatiel-3'],
  opossum: ['opossum-10', 'opossum'],
  'p-retry': ['p-retry-9', 'p-retry'],
  bottleneck: ['bottleneck'],
} as const;

export type PeerName = keyof typeof CANDIDATES;

export interface Peers {
  readonly ck: typeof Cockatiel;
  readonly CircuitBreaker: typeof CircuitBreakerClass;
  readonly pRetry: typeof pRetryFn;
  readonly Bottleneck: typeof BottleneckClass;
  /** Version measured per peer, e.g. `{ cockatiel: '3.2.1', ... }`. */
  readonly versions: Readonly<Record<PeerName, string>>;
}

/** The benchmarks package's node_modules: every alias is a direct dependency (package.json may not be exported). */
const modules = new URL('../../node_modules/', import.meta.url);

/**
 * Whether an `engines.node` range admits Node `major`. Understands what the peers declare (`>=22`,
 * `^24 || ^22 || ^20`, `>= 16.0.0`); no range admits every Node.
 */
export function admitsMajor(range: string | undefined, major: number): boolean {
  if (range === undefined || range.trim() === '' || range.trim() === '*') return true;
  return range.split('||').some((part) => {
    const match = /^\s*(>=|\^|~)?\s*v?(\d+)/.exec(part);
    if (match === null) return false;
    const wanted = Number(match[2]);
    return match[1] === '>=' ? major >= wanted : major === wanted;
  });
}

/** The newest installed package of `peer` that declares support for Node `major`, with its version. */
export function pickPeer(peer: PeerName, major: number): { specifier: string; version: string } {
  const manifests = CANDIDATES[peer].map((specifier) => {
    const manifest = JSON.parse(readFileSync(new URL(`${specifier}/package.json`, modules), 'utf8')) as {
      version: string;
      engines?: { node?: string };
    };
    return { specifier, version: manifest.version, node: manifest.engines?.node };
  });
  const fit = manifests.find((m) => admitsMajor(m.node, major));
  // None declares this Node: measure the oldest, the likeliest to run, and say so in its version.
  const chosen = fit ?? manifests[manifests.length - 1]!;
  return { specifier: chosen.specifier, version: fit ? chosen.version : `${chosen.version} (unsupported)` };
}

const defaultOf = (module: { default?: unknown }): unknown => module.default ?? module;

/** Loads the peers for the running Node. */
export async function loadPeers(major = Number(process.versions.node.split('.')[0])): Promise<Peers> {
  const chosen = {
    cockatiel: pickPeer('cockatiel', major),
    opossum: pickPeer('opossum', major),
    'p-retry': pickPeer('p-retry', major),
    bottleneck: pickPeer('bottleneck', major),
  };
  // Specifiers in variables: the aliases have no types of their own; they are typed as the pinned packages.
  const load = (peer: PeerName): Promise<Record<string, unknown>> => import(chosen[peer].specifier);
  const ckModule = await load('cockatiel');
  return {
    ck: (ckModule.circuitBreaker === undefined ? defaultOf(ckModule) : ckModule) as typeof Cockatiel,
    CircuitBreaker: defaultOf(await load('opossum')) as typeof CircuitBreakerClass,
    pRetry: defaultOf(await load('p-retry')) as typeof pRetryFn,
    Bottleneck: defaultOf(await load('bottleneck')) as typeof BottleneckClass,
    versions: {
      cockatiel: chosen.cockatiel.version,
      opossum: chosen.opossum.version,
      'p-retry': chosen['p-retry'].version,
      bottleneck: chosen.bottleneck.version,
    },
  };
}
