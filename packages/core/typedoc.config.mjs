// The API reference's entry points are this package's exports (see scripts/typedoc-package.mjs).
import { packageConfig } from '../../scripts/typedoc-package.mjs';

export default {
  ...packageConfig(import.meta.dirname),
  // Helpers of PipelineOut and PipelineEvents, shown by name: what they mean is in those two types' comments.
  intentionallyNotExported: ['src/pipeline.ts:OutOf', 'src/pipeline.ts:EventsOf'],
};
