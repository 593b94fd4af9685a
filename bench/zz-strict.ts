import { startBenchStack, submitBatches } from './lib/genq.ts';
const bench = await startBenchStack({ workers: 2, concurrency: 50, generators: 'noop', env: { GENQ_SCHEDULING: 'strict' } });
try {
  const client = await bench.client('premium');
  await submitBatches(bench.url, client.headers, 500, () => ({ generator: 'noop', input: {} }));
  console.log('ok');
} catch (e) {
  console.log('ERR', e);
  console.log(bench.stack.apis[0]!.output().slice(-3000));
} finally { await bench.close(); }
