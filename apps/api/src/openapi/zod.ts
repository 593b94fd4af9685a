import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Once for the process: adds `.openapi()` to every zod schema. Files of this folder import `z`
// from here so the extension is in place before their schemas are built; the request schemas
// elsewhere only use zod's own `.describe()` / `.meta()`, which the generator reads as well.
extendZodWithOpenApi(z);

export { z };
