/**
 * Entry point for Cloudflare's workerd (bundled into one ES module by the harness): a worker whose fetch handler
 * runs the suite and answers with the report as JSON. `?base=` names the harness server, `?filter=` picks tests.
 * No `nodejs_compat`: the packages must run on the plain Workers runtime.
 */
import { conformanceSuite } from '../src/index.js';

export default {
  async fetch(request: Request): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const suite = conformanceSuite({ baseUrl: params.get('base') ?? undefined });
    const report = await suite.run({
      runtime: navigator.userAgent,
      filter: params.get('filter') ?? undefined,
    });
    return new Response(JSON.stringify(report), { headers: { 'content-type': 'application/json' } });
  },
};
