import WebSocket from 'ws';
import { startTestStack } from '@genq/test-utils';
const stack = await startTestStack({ workers: 0, maxSocketsPerKey: 100 });
const codes: Record<string, number> = {};
for (let i = 0; i < 60; i++) {
  const ws = new WebSocket(stack.wsUrl + '/ws', { headers: stack.client.headers });
  await new Promise((r) => ws.once('open', r));
  const code = await new Promise<string>((resolve) => {
    ws.on('close', (c) => resolve(String(c)));
    ws.on('error', (e) => resolve('error:' + e.message));
    ws.send(Buffer.alloc(i % 2 ? 17 * 1024 : 200 * 1024, 120), { binary: i % 3 === 0 });
  });
  codes[code] = (codes[code] ?? 0) + 1;
}
console.log(codes);
await stack.close();
