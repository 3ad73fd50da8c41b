// The API reference (`pnpm docs:api` -> docs/api/): every entry point of every package, i.e. every subpath of
// their `exports` maps (each package's typedoc.config.mjs). Any warning fails the run: a type used by the public
// API but not exported, a broken {@link}, or an exported symbol without a doc comment.
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
  packageOptions: {
    validation,
    excludePrivate: true,
    excludeInternal: true,
    sort: ['source-order'],
  },
};
