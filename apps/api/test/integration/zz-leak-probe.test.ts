import { it } from '@jest/globals';
import { requestJson, startTestStack, waitUntil } from '@genq/test-utils';

it('probe', async () => {
  const stack = await startTestStack({ workers: 1 });
  const res = await requestJson('POST', `${stack.url}/api/v1/jobs`, { generator: 'noop', input: {} });
  const id = (res.body as { id: string }).id;
  await waitUntil(() => stack.jobs.findById(id), (j) => j?.status === 'completed');
  await stack.close();
  await new Promise((r) => setTimeout(r, 1500));
  const p = process as unknown as { _getActiveHandles(): unknown[] };
  const out: string[] = [];
  for (const h of p._getActiveHandles()) {
    const o = h as { constructor: { name: string }; remotePort?: number; localPort?: number; fd?: number; _type?: string; readable?: boolean; writable?: boolean; destroyed?: boolean; pending?: boolean };
    out.push(`${o.constructor.name} remote=${o.remotePort} local=${o.localPort} fd=${o.fd} destroyed=${o.destroyed} pending=${o.pending}`);
  }
  console.log(out.join('\n'));
});
