import { createArtifactStore } from '../apps/worker/src/artifacts.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 } from 'uuid';
const store = createArtifactStore(await mkdtemp(join(tmpdir(), 'fsb-')));
const N = 2000;
for (let i = 0; i < 200; i++) { const id = v7(); await store.prepareAttempt(id); await store.zipResult(id); }
const c0 = process.cpuUsage(); const t0 = performance.now();
await Promise.all(Array.from({ length: 50 }, async () => { for (let i = 0; i < N / 50; i++) { const id = v7(); await store.prepareAttempt(id); await store.zipResult(id); } }));
const c = process.cpuUsage(c0);
console.log('per job: wall', ((performance.now() - t0) / N).toFixed(3), 'ms; main+pool cpu', ((c.user + c.system) / 1000 / N).toFixed(3), 'ms');
