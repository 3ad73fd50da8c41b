import { overhead } from './overhead.js';

console.log(`# Bulwark benchmarks\n\nNode ${process.version}, ${new Date().toISOString()}\n`);
console.log('## Success-path overhead\n');
console.log(await overhead());
