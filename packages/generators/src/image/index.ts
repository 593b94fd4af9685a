export { createImageGenerator, createImageProvider, imageGenerator } from './generator.ts';
export {
  createImageInputSchema,
  IMAGE_SIZES,
  parseSize,
  type ImageInput,
  type ImageLimits,
  type ImageSize,
} from './input.ts';
export { createProceduralImageProvider } from './procedural.ts';
export { imageFeatures, type ImageFeatures } from './features.ts';
export { encodePng } from './png.ts';
