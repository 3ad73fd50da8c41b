import { RedisScript } from '../../script.js';
import type { LimitKind } from './layout.js';
import { rateLimitSource } from './script.js';

/** Each shape's script, written once per process and clock the first time a scope of that shape is used. */
export function scriptsByShape(time: 'server' | 'argument'): (shape: readonly LimitKind[]) => RedisScript {
  const scripts = new Map<string, RedisScript>();
  return (shape) => {
    const name = shape.join(',');
    let script = scripts.get(name);
    if (script === undefined) {
      script = new RedisScript(rateLimitSource(shape, time));
      scripts.set(name, script);
    }
    return script;
  };
}
