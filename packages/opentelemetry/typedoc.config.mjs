// The API reference's entry points are this package's exports (see scripts/typedoc-package.mjs).
import { packageConfig } from '../../scripts/typedoc-package.mjs';

export default packageConfig(import.meta.dirname);
