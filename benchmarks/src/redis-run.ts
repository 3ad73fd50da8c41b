/** `pnpm --filter @bulwark/benchmarks run bench:redis [--smoke]`: the Redis admission benchmark alone. */
import { fullRedis, renderRedis, runRedis, smokeRedis } from './redis/index.js';

const smoke = process.argv.includes('--smoke');
const rows = await runRedis(smoke ? smokeRedis : fullRedis, (line) => console.error(line));
console.log(renderRedis(rows));
