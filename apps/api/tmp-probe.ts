import WebSocket from 'ws';
import { startTestStack } from '@genq/test-utils';
const stack = await startTestStack({ workers: 0, maxBodyBytes: 65536, maxSocketsPerKey: 3 });
const h = stack.client.headers;
async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const r = await fetch(stack.url + path, { method, body, headers: { ...h, ...headers } });
  const t = await r.text();
  console.log(method, path.slice(0, 60), r.status, r.headers.get('content-type'), t.slice(0, 200));
}
await raw('POST', '/api/v1/jobs', '{"generator":"noop","input":{"sleep_ms":' + '['.repeat(20000) + ']'.repeat(20000) + '}}', { 'content-type': 'application/json' });
await raw('POST', '/api/v1/jobs', '{"generator":"noop","input":{"x":' + '['.repeat(20000) + ']'.repeat(20000) + '}}', { 'content-type': 'application/json' });
await raw('POST', '/api/v1/jobs/batch', '{"requests":' + '['.repeat(20000) + ']'.repeat(20000) + '}', { 'content-type': 'application/json' });
// ws
const ws = new WebSocket(stack.wsUrl + '/ws', { headers: h });
await new Promise((r) => ws.once('open', r));
ws.on('close', (code) => console.log('ws closed', code));
ws.on('error', (e) => console.log('ws error', e.message));
ws.send('x'.repeat(20000));
await new Promise((r) => setTimeout(r, 500));
const ws2 = new WebSocket(stack.wsUrl + '/ws/%E0%A4%A', { headers: h });
ws2.on('message', (m) => console.log('ws2 msg', m.toString()));
ws2.on('close', (code) => console.log('ws2 closed', code));
ws2.on('error', (e) => console.log('ws2 error', e.message));
await new Promise((r) => setTimeout(r, 500));
await raw('GET', '/health');
await stack.close();
