import { describe, expect, it } from '@jest/globals';
import { createBuiltinGenerators } from '../src/builtin.ts';
import { mediaSettingsFromEnv } from '../src/media/index.ts';
import { createGeneratorRegistry } from '../src/registry.ts';

describe('mediaSettingsFromEnv', () => {
  it('leaves everything to the defaults when nothing is set (procedural providers)', () => {
    expect(mediaSettingsFromEnv({})).toEqual({ image: {}, music: {} });
    const generators = createBuiltinGenerators(mediaSettingsFromEnv({}));
    expect(generators.map((g) => g.name)).toEqual(
      expect.arrayContaining(['image', 'music', 'test-data', 'llm', 'noop']),
    );
    expect(generators.find((g) => g.name === 'image')?.requiresGpu).toBe(false);
  });

  it('maps every variable', () => {
    const settings = mediaSettingsFromEnv({
      GENQ_IMAGE_PROVIDER: 'openai-images',
      IMAGE_API_BASE_URL: 'https://api.example.com/v1',
      IMAGE_API_KEY: 'key',
      IMAGE_MODEL: 'dall-e-3',
      IMAGE_RESPONSE_FORMAT: 'url',
      IMAGE_API_MAX_N: '1',
      IMAGE_NEGATIVE_PROMPT: 'ignore',
      COG_IMAGE_URL: 'http://gpu-1:5000',
      COG_IMAGE_INPUT: '{"scheduler":"K_EULER","num_inference_steps":30}',
      COG_IMAGE_MAX_OUTPUTS: '2',
      GENQ_MUSIC_PROVIDER: 'cog',
      COG_MUSIC_URL: 'http://gpu-2:5000',
      COG_MUSIC_INPUT: '{"model_version":"stereo-large"}',
      COG_API_KEY: 'cog-key',
      COG_PREFER_WAIT: 'false',
      COG_PREDICTION_TIMEOUT_MS: '60000',
      GENQ_MEDIA_TIMEOUT_MS: '120000',
      GENQ_MEDIA_MAX_RETRIES: '4',
      GENQ_IMAGE_MAX_COUNT: '4',
      GENQ_MUSIC_MAX_SECONDS: '300',
      GENQ_MAX_RESULT_BYTES: '104857600',
    });
    expect(settings).toEqual({
      image: {
        provider: 'openai-images',
        timeoutMs: 120_000,
        maxRetries: 4,
        openai: {
          baseUrl: 'https://api.example.com/v1',
          apiKey: 'key',
          model: 'dall-e-3',
          responseFormat: 'url',
          maxImagesPerRequest: 1,
          negativePrompt: 'ignore',
        },
        cog: {
          url: 'http://gpu-1:5000',
          apiKey: 'cog-key',
          input: { scheduler: 'K_EULER', num_inference_steps: 30 },
          preferWait: false,
          predictionTimeoutMs: 60_000,
          maxOutputsPerPrediction: 2,
        },
        maxCount: 4,
        maxResultBytes: 104_857_600,
      },
      music: {
        provider: 'cog',
        timeoutMs: 120_000,
        maxRetries: 4,
        cog: {
          url: 'http://gpu-2:5000',
          apiKey: 'cog-key',
          input: { model_version: 'stereo-large' },
          preferWait: false,
          predictionTimeoutMs: 60_000,
        },
        maxSeconds: 300,
        maxResultBytes: 104_857_600,
      },
    });
    const generators = createBuiltinGenerators(settings);
    expect(generators.find((g) => g.name === 'music')?.requiresGpu).toBe(true);
    const registry = createGeneratorRegistry(generators);
    expect(() => registry.parseInput('image', { prompt: 'x', count: 5 })).toThrow();
    expect(registry.parseInput('music', { prompt: 'x', duration: 300 })).toMatchObject({
      duration: 300,
    });
  });

  it('treats empty variables as unset', () => {
    expect(
      mediaSettingsFromEnv({
        GENQ_IMAGE_PROVIDER: '',
        COG_IMAGE_URL: '',
        GENQ_IMAGE_MAX_COUNT: '',
      }),
    ).toEqual({
      image: {},
      music: {},
    });
  });

  it('names what is wrong', () => {
    expect(() => mediaSettingsFromEnv({ GENQ_IMAGE_PROVIDER: 'cog' })).toThrow(
      /COG_IMAGE_URL: required when GENQ_IMAGE_PROVIDER=cog/,
    );
    expect(() => mediaSettingsFromEnv({ GENQ_IMAGE_PROVIDER: 'openai-images' })).toThrow(
      /IMAGE_API_BASE_URL: required when GENQ_IMAGE_PROVIDER=openai-images/,
    );
    expect(() => mediaSettingsFromEnv({ GENQ_MUSIC_PROVIDER: 'cog' })).toThrow(/COG_MUSIC_URL/);
    expect(() => mediaSettingsFromEnv({ GENQ_IMAGE_PROVIDER: 'dalle' })).toThrow(
      /GENQ_IMAGE_PROVIDER/,
    );
    expect(() => mediaSettingsFromEnv({ COG_IMAGE_INPUT: '[1,2]' })).toThrow(
      /COG_IMAGE_INPUT: must be a JSON object/,
    );
    expect(() => mediaSettingsFromEnv({ GENQ_IMAGE_MAX_COUNT: '0' })).toThrow(
      /GENQ_IMAGE_MAX_COUNT/,
    );
    expect(() => mediaSettingsFromEnv({ GENQ_MUSIC_MAX_SECONDS: 'lots' })).toThrow(
      /GENQ_MUSIC_MAX_SECONDS/,
    );
  });
});
