import { createHash } from 'node:crypto';
import { satAdd } from '../cost.ts';
import { defineGenerator, type GenerationContext, type Generator } from '../generator.ts';
import { estimateAudioBytes, MEDIA_METADATA_BYTES } from '../media/limits.ts';
import { MEDIA_DEFAULTS } from '../media/settings.ts';
import { writeMediaFile } from '../media/files.ts';
import { seedFromJobId } from '../media/random.ts';
import type { MusicSettings } from '../media/settings.ts';
import { trackStages } from '../media/stages.ts';
import type { MusicProvider } from '../media/types.ts';
import { createCogMusicProvider } from '../providers/cog.ts';
import { safeRelativePath } from '../safe-path.ts';
import { createMusicInputSchema, type MusicInput } from './input.ts';
import { createProceduralMusicProvider } from './procedural.ts';
import { readWavInfo } from './wav.ts';

export const MUSIC_METADATA_FILE = 'metadata.json';

/** The provider the settings choose; procedural unless configured otherwise. */
export function createMusicProvider(settings: MusicSettings = {}): MusicProvider {
  return settings.provider === 'cog'
    ? createCogMusicProvider(settings)
    : createProceduralMusicProvider();
}

/**
 * The `music` generator: audio of `duration` seconds from a prompt, through the provider
 * the settings choose (procedural, cog). Writes music.wav (the extension is the format the
 * provider sent) and metadata.json (provider, model, seed, prompt, duration, timings). The
 * input schema carries the limits (seconds per job, result bytes).
 */
export function createMusicGenerator(
  settings: MusicSettings = {},
  provider: MusicProvider = createMusicProvider(settings),
): Generator<MusicInput> {
  return defineGenerator<MusicInput>({
    name: 'music',
    description:
      `Music from a prompt (${provider.name} provider on this server): prompt, duration in seconds, format, seed. ` +
      'Writes music.wav and metadata.json (provider, model, seed, tempo and key, timings).',
    input: createMusicInputSchema(settings),
    estimateSeconds: (input) => provider.estimateSeconds({ durationSeconds: input.duration }),
    requiresGpu: provider.requiresGpu,
    // The procedural provider computes on the CPU; the others wait on a remote model.
    runsIn: provider.name === 'procedural' ? 'thread' : 'main',
    // Bytes: 44.1 kHz stereo 16-bit PCM of the duration (the bound the schema holds jobs
    // to) and metadata.json; work: one provider request with its retries.
    worstCase(input) {
      const outputBytes = satAdd(estimateAudioBytes(input.duration), MEDIA_METADATA_BYTES);
      const work = 1 + (settings.maxRetries ?? MEDIA_DEFAULTS.maxRetries);
      return { outputBytes, work, parts: [{ path: ['duration'], outputBytes, work }] };
    },
    run: (input, ctx) => runMusic(provider, input, ctx),
  });
}

/** Unconfigured (procedural, default limits): enough to list the generator and validate input. */
export const musicGenerator = createMusicGenerator();

async function runMusic(provider: MusicProvider, input: MusicInput, ctx: GenerationContext) {
  const stages = trackStages(ctx);
  const seed = input.seed ?? seedFromJobId(ctx.jobId);
  stages.report('loading_model', 0, `music provider: ${provider.name}`);
  const result = await provider.generate(
    { prompt: input.prompt, durationSeconds: input.duration, format: input.format, seed },
    { jobId: ctx.jobId, signal: ctx.signal, logger: ctx.logger, report: stages.provider },
  );
  ctx.signal.throwIfAborted();

  const name = safeRelativePath(`music.${result.audio.extension}`);
  const streamed = !(result.audio.data instanceof Uint8Array);
  // A streamed file is made while it is written: that is still the generating stage.
  if (!streamed) stages.report('saving', 0, `writing ${name}`);
  let bytes: number;
  try {
    bytes = await writeMediaFile(ctx.output, name, result.audio.data, ctx.signal);
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw error;
  }
  stages.report('saving', 0.5, `wrote ${name}`);
  const whole = result.audio.data instanceof Uint8Array ? result.audio.data : undefined;
  const wav = whole ? readWavInfo(whole) : undefined;

  const timings = stages.timings();
  const metadata = {
    generator: 'music',
    provider: provider.name,
    model: result.model,
    prompt: input.prompt,
    seed,
    seed_given: input.seed !== undefined,
    duration_s: input.duration,
    format: input.format,
    file: name,
    mime: result.audio.mime,
    bytes,
    ...(whole ? { sha256: createHash('sha256').update(whole).digest('hex') } : {}),
    ...(wav
      ? {
          decoded_duration_s: Number(wav.seconds.toFixed(3)),
          sample_rate: wav.sampleRate,
          channels: wav.channels,
        }
      : {}),
    timings_ms: timings,
    warnings: result.warnings,
    ...result.metadata,
  };
  ctx.signal.throwIfAborted();
  await ctx.output.writeFile(MUSIC_METADATA_FILE, `${JSON.stringify(metadata, null, 2)}\n`);
  stages.report('saving', 1, `wrote ${name} and ${MUSIC_METADATA_FILE}`);
  return {
    metadata: {
      provider: provider.name,
      model: result.model,
      seed,
      duration_s: input.duration,
      bytes,
      duration_ms: timings.total,
      ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
    },
  };
}
