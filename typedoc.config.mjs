// The API reference (`pnpm docs:api` -> docs/api/): every entry point of every package, i.e. every subpath of
// their `exports` maps (each package's typedoc.config.mjs). Any warning fails the run: a type used by the public
// API but not exported, a broken {@link}, or an exported symbol without a doc comment.
// Source links name the public repository (package.json's `repository`), not whatever remote a clone has: a CI
// clone's remote is a local path, which TypeDoc would warn about.
const sourceLinkTemplate = 'https://github.com/bulwark-ts/bulwark/blob/{gitRevision}/{path}#L{line}';
const validation = { notExported: true, notDocumented: true, invalidLink: true, rewrittenLink: true };

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'Bulwark',
  entryPointStrategy: 'packages',
  entryPoints: ['packages/*'],
  out: 'docs/api',
  // The front page lists the packages, each with its README (the repository's README links into the repository).
  readme: 'none',
  treatWarningsAsErrors: true,
  validation,
  sourceLinkTemplate,
  packageOptions: {
    sourceLinkTemplate,
    validation,
    excludePrivate: true,
    excludeInternal: true,
    sort: ['source-order'],
  },
};
