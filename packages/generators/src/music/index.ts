export { createMusicGenerator, createMusicProvider, musicGenerator } from './generator.ts';
export {
  AUDIO_FORMATS,
  createMusicInputSchema,
  type MusicInput,
  type MusicLimits,
} from './input.ts';
export { createProceduralMusicProvider, PROCEDURAL_SAMPLE_RATE } from './procedural.ts';
export { arrange, planMusic, type MusicPlan, type NoteEvent } from './compose.ts';
export { readWavInfo, wavHeader, type WavInfo } from './wav.ts';
