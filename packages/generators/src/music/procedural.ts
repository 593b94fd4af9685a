import { performance } from 'node:perf_hooks';
import { createYielder } from '../media/files.ts';
import type { MusicProvider } from '../media/types.ts';
import { arrange, planMusic } from './compose.ts';
import { Synth } from './synth.ts';
import { wavHeader } from './wav.ts';

export const PROCEDURAL_SAMPLE_RATE = 44_100;
export const PROCEDURAL_CHANNELS = 2;
/** Frames synthesised between two checks of the signal (about 0.19 s of audio). */
const CHUNK_FRAMES = 8_192;
/** Seconds of CPU per second of audio, with headroom, for estimates. */
const SECONDS_PER_AUDIO_SECOND = 0.08;

/**
 * The built-in music provider: no model, no network. Plans a piece from the prompt (style,
 * tempo, key, instruments; see compose.ts), writes its score, and synthesises it (synth.ts)
 * as a 44.1 kHz 16-bit stereo WAV of exactly the requested length. The audio is made while
 * the generator writes it, a chunk at a time, checking the job's signal and yielding to the
 * event loop between chunks.
 */
export function createProceduralMusicProvider(): MusicProvider {
  return {
    name: 'procedural',
    requiresGpu: false,
    estimateSeconds: (request) => 0.5 + request.durationSeconds * SECONDS_PER_AUDIO_SECOND,
    async generate(request, ctx) {
      ctx.report('loading_model', 0, 'procedural synthesiser: no model to load');
      const plan = planMusic(request.prompt, request.seed);
      const sampleRate = PROCEDURAL_SAMPLE_RATE;
      const totalFrames = Math.round(request.durationSeconds * sampleRate);
      const events = arrange(plan, request.seed, totalFrames, sampleRate);
      ctx.report(
        'encoding_prompt',
        1,
        `${plan.style}, ${plan.tempo} bpm in ${plan.key}: ${events.length} notes`,
      );
      const synth = new Synth(events, {
        sampleRate,
        totalFrames,
        reverb: plan.reverb,
        brightness: plan.brightness,
      });
      const timing = { synth_ms: 0 };
      const signal = ctx.signal;
      const seconds = request.durationSeconds;

      async function* wav(): AsyncGenerator<Uint8Array> {
        const maybeYield = createYielder();
        yield wavHeader(totalFrames, sampleRate, PROCEDURAL_CHANNELS);
        while (synth.framesDone < totalFrames) {
          signal.throwIfAborted();
          const started = performance.now();
          const chunk = synth.render(CHUNK_FRAMES);
          timing.synth_ms += performance.now() - started;
          const done = synth.framesDone / sampleRate;
          ctx.report(
            'generating',
            synth.framesDone / totalFrames,
            `synthesised ${done.toFixed(1)} of ${seconds} s`,
          );
          yield chunk;
          const pause = maybeYield();
          if (pause) await pause;
        }
      }

      const voices = Object.fromEntries(
        Object.entries(plan.voices).filter(([, voice]) => voice !== null),
      );
      return {
        audio: { data: wav(), mime: 'audio/wav', extension: 'wav' },
        model: null,
        metadata: {
          synthesiser: 'procedural-v1',
          style: plan.style,
          tempo_bpm: plan.tempo,
          key: plan.key,
          progression: plan.progression,
          instruments: voices,
          notes: events.length,
          matched_words: plan.matched,
          sample_rate: sampleRate,
          channels: PROCEDURAL_CHANNELS,
          bits_per_sample: 16,
          frames: totalFrames,
          // Read when the generator writes metadata.json, after the audio has been made.
          get synth_ms() {
            return Math.round(timing.synth_ms);
          },
        },
        warnings: [],
      };
    },
  };
}
