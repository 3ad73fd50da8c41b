/**
 * Entry point for Cloudflare's workerd (bundled into one ES module by the harness): a worker whose fetch handler
 * runs the suite and answers with the report as JSON. `?base=` names the harness server, `?refused=` a closed port, `?filter=` picks tests.
 * No `nodejs_compat`: the packages must run on the plain Workers runtime.
 */
import { conformanceSuite, withUnhandled } from '../src/index.js';

const unhandled: unknown[] = [];
addEventListener('unhandledrejection', (event) => {
  unhandled.push(event.reason);
});

export default {
  async fetch(request: Request): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const suite = conformanceSuite({
      baseUrl: params.get('base') ?? undefined,
      refusedUrl: params.get('refused') ?? undefined,
    });
    unhandled.length = 0;
    const report = await suite.run({
      runtime: navigator.userAgent,
      filter: params.get('filter') ?? undefined,
    });
    // Rejections are reported unhandled after a macrotask turn: give them one before counting.
    await new Promise((resolve) => setTimeout(resolve, 0));
    return new Response(JSON.stringify(withUnhandled(report, unhandled)), {
      headers: { 'content-type': 'application/json' },
    });
  },
};
