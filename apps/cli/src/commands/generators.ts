import type { Context } from '../context.ts';
import { EXIT, type ExitCode } from '../errors.ts';
import { table } from '../output.ts';

interface GeneratorInfo {
  name: string;
  description: string;
  requires_gpu?: boolean;
  input_schema: { properties?: Record<string, unknown>; required?: string[] };
}

/** `genq generators`: what can be submitted, and each generator's input fields. */
export async function generatorsCommand(ctx: Context): Promise<ExitCode> {
  const { body } = await ctx.client.json<{ generators: GeneratorInfo[] }>(
    'GET',
    '/api/v1/generators',
  );
  ctx.output.result(body, () =>
    table([
      ['name', 'input fields', 'description'],
      ...body.generators.map((g) => [
        g.name + (g.requires_gpu ? ' (gpu)' : ''),
        Object.keys(g.input_schema?.properties ?? {}).join(', ') || '–',
        g.description,
      ]),
    ]),
  );
  return EXIT.OK;
}
