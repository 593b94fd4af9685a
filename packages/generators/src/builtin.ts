import type { AnyGenerator } from './generator.ts';
import { createImageGenerator } from './image/index.ts';
import { createLlmGenerator, type LlmSettings } from './llm/index.ts';
import type { ImageSettings, MusicSettings } from './media/index.ts';
import { createMusicGenerator } from './music/index.ts';
import { noopGenerator } from './noop.ts';
import { createTestDataGenerator } from './test-data/index.ts';

/** What the built-in generators need from the environment; the worker's entry fills it. */
export interface BuiltinGeneratorSettings {
  llm?: LlmSettings;
  /** Provider and limits of `image` and `music`: `mediaSettingsFromEnv(env)` fills both. */
  image?: ImageSettings;
  music?: MusicSettings;
}

/** Every generator genq ships with, configured, in the order `GET /api/v1/generators` lists them. */
export function createBuiltinGenerators(settings: BuiltinGeneratorSettings = {}): AnyGenerator[] {
  return [
    createTestDataGenerator({ llm: settings.llm }),
    createLlmGenerator(settings.llm),
    createImageGenerator(settings.image),
    createMusicGenerator(settings.music),
    noopGenerator,
  ];
}

/** The same generators unconfigured: enough to list them and validate input (the API). */
export const builtinGenerators: AnyGenerator[] = createBuiltinGenerators();
