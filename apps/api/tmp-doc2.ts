import { buildOpenApiDocument } from './src/openapi/document.ts';
const doc = buildOpenApiDocument({ version: 'x', maxBatchSize: 100 });
const s = doc.components!.schemas!;
console.log(JSON.stringify({ job: s.Job, batch: s.Batch, ev: s.JobEvent, snap: s.BatchSnapshot, cc: s.ClientCreated, gl: s.GeneratorList, cjr: s.CreateJobRequest, p: doc.paths['/api/v1/jobs/{id}'], a: doc.paths['/api/v1/admin/keys'], cl: doc.paths['/api/v1/admin/clients/{id}/keys'], comp: doc.components!.responses!.TooManyRequests }, null, 1));
