import { writeFileSync } from 'node:fs';
import { startTestStack } from '@genq/test-utils';
const stack = await startTestStack({ workers: 2, concurrency: 8 });
const s = stack as unknown as { url: string; apiKey?: string; adminKey?: string };
writeFileSync(
  '/tmp/genq-dev-stack.json',
  JSON.stringify({ url: s.url, apiKey: s.apiKey, adminKey: s.adminKey }),
);
console.log('ready', s.url);
process.on('SIGTERM', () => void stack.close().then(() => process.exit(0)));
setInterval(() => undefined, 1 << 30);
