/** One process of the 4-process Redis benchmark: drives one subject and prints its latencies and count. */
import { connectSubject, drive, type RedisSubject } from './subjects.js';

const [subject, url, prefix, concurrency, durationMs] = process.argv.slice(2);
const { admit, close } = await connectSubject(subject as RedisSubject, url!, prefix!);
for (let i = 0; i < 200; i++) await admit(); // warm-up: the script loaded, the JIT warm
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
const run = await drive(admit, Number(concurrency), Number(durationMs));
close();
// Exits once the (large) line is flushed: an exit right after the write may cut it short.
process.stdout.write(`${JSON.stringify(run)}\n`, () => process.exit(0));
