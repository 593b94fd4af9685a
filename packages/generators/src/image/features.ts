import { hashText, Random } from '../media/random.ts';
import { matches, readPrompt, rulesOut, type PromptWords } from '../media/prompt.ts';

/**
 * From a prompt to what the procedural renderer draws: a palette from the colour and theme
 * words ("sunset", "ocean", "neon"...), motifs from the scene words ("mountains", "stars",
 * "city"...), and a mood (pastel, dark, vibrant; busy or minimal). Words it does not know
 * still count: each one shifts the palette's hues through its hash, so different prompts
 * give different pictures. The negative prompt (and "no …" in the prompt) removes colours
 * and motifs.
 */

export type Rgb = readonly [number, number, number];

export type Motif =
  | 'sun'
  | 'moon'
  | 'stars'
  | 'planet'
  | 'mountains'
  | 'hills'
  | 'waves'
  | 'dunes'
  | 'trees'
  | 'skyline'
  | 'grid'
  | 'circles'
  | 'rings'
  | 'stripes';

export interface ImageFeatures {
  /** Background gradient stops, then accent colours for shapes. */
  background: Rgb[];
  accents: Rgb[];
  /** Linear (with an angle in radians) or radial background. */
  gradient: { kind: 'linear'; angle: number } | { kind: 'radial'; cx: number; cy: number };
  motifs: Motif[];
  /** Free shapes on top of the motifs. */
  shapes: number;
  /** 0 (flat) to 1 (strong): darkening towards the corners. */
  vignette: number;
  /** Words that chose something, for metadata.json. */
  matched: string[];
  /** Colours and motifs the negative prompt removed. */
  removed: string[];
}

interface Theme {
  words: readonly string[];
  hues: readonly number[];
  motifs: readonly Motif[];
  /** Background lightness (0–1) and saturation; undefined: from the mood. */
  dark?: boolean;
  light?: boolean;
}

const THEMES: readonly Theme[] = [
  {
    words: ['sunset', 'sunrise', 'dawn', 'dusk', 'twilight'],
    hues: [18, 36, 320, 270],
    motifs: ['sun', 'hills'],
  },
  {
    words: ['ocean', 'sea', 'water', 'wave', 'beach', 'lake', 'river', 'coast', 'surf'],
    hues: [198, 212, 180, 45],
    motifs: ['waves'],
  },
  {
    words: ['forest', 'jungle', 'tree', 'woods', 'pine', 'leaf', 'nature'],
    hues: [115, 140, 85, 35],
    motifs: ['trees', 'hills'],
  },
  {
    words: ['mountain', 'peak', 'alps', 'cliff', 'valley', 'landscape'],
    hues: [215, 245, 28],
    motifs: ['mountains'],
  },
  {
    words: ['hill', 'meadow', 'field', 'farm', 'countryside'],
    hues: [95, 55, 200],
    motifs: ['hills', 'sun'],
  },
  {
    words: ['night', 'midnight', 'moon', 'moonlight', 'nocturnal'],
    hues: [228, 258, 48],
    motifs: ['moon', 'stars'],
    dark: true,
  },
  {
    words: ['space', 'galaxy', 'cosmic', 'cosmos', 'star', 'nebula', 'universe', 'astronaut'],
    hues: [262, 292, 200],
    motifs: ['stars', 'planet'],
    dark: true,
  },
  {
    words: ['city', 'urban', 'skyline', 'street', 'building', 'downtown', 'metropolis'],
    hues: [225, 38, 280],
    motifs: ['skyline'],
  },
  {
    words: ['cyberpunk', 'neon', 'synthwave', 'retro', 'vaporwave', 'arcade'],
    hues: [305, 185, 265],
    motifs: ['skyline', 'grid', 'sun'],
    dark: true,
  },
  {
    words: ['fire', 'flame', 'lava', 'volcano', 'inferno', 'ember', 'heat'],
    hues: [4, 22, 44],
    motifs: ['mountains'],
  },
  {
    words: ['snow', 'ice', 'winter', 'frozen', 'frost', 'arctic', 'glacier'],
    hues: [200, 190, 220],
    motifs: ['mountains'],
    light: true,
  },
  {
    words: ['desert', 'sand', 'dune', 'sahara', 'canyon'],
    hues: [36, 24, 200],
    motifs: ['dunes', 'sun'],
  },
  {
    words: ['flower', 'garden', 'spring', 'bloom', 'blossom', 'petal', 'floral'],
    hues: [335, 300, 95, 52],
    motifs: ['circles'],
  },
  { words: ['autumn', 'fall', 'harvest', 'pumpkin'], hues: [24, 12, 42], motifs: ['trees'] },
  {
    words: ['abstract', 'geometric', 'pattern', 'shapes', 'bauhaus', 'modern'],
    hues: [],
    motifs: ['grid', 'circles'],
  },
  { words: ['circle', 'bubble', 'dot', 'orb', 'sphere', 'ball'], hues: [], motifs: ['circles'] },
  { words: ['ring', 'orbit', 'halo', 'target', 'ripple'], hues: [], motifs: ['rings'] },
  { words: ['stripe', 'line', 'lines', 'striped', 'rays'], hues: [], motifs: ['stripes'] },
  {
    words: ['grid', 'square', 'cube', 'block', 'pixel', 'tile', 'mosaic', 'checker'],
    hues: [],
    motifs: ['grid'],
  },
  { words: ['sun', 'sunny', 'summer', 'sunshine'], hues: [45, 30, 200], motifs: ['sun'] },
  {
    words: ['planet', 'saturn', 'jupiter', 'mars', 'world'],
    hues: [25, 260],
    motifs: ['planet', 'stars'],
    dark: true,
  },
];

/** Colour words: hue (degrees), saturation and lightness. */
const COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [0, 0.75, 0.5],
  crimson: [348, 0.8, 0.42],
  scarlet: [8, 0.85, 0.5],
  orange: [28, 0.9, 0.55],
  amber: [40, 0.9, 0.52],
  gold: [46, 0.8, 0.52],
  golden: [46, 0.8, 0.52],
  yellow: [55, 0.9, 0.58],
  lime: [85, 0.75, 0.5],
  green: [125, 0.55, 0.42],
  emerald: [145, 0.65, 0.4],
  olive: [70, 0.45, 0.38],
  mint: [155, 0.5, 0.75],
  teal: [178, 0.6, 0.38],
  turquoise: [174, 0.65, 0.52],
  cyan: [188, 0.8, 0.52],
  aqua: [185, 0.7, 0.6],
  blue: [215, 0.75, 0.5],
  azure: [205, 0.8, 0.6],
  sky: [200, 0.7, 0.7],
  navy: [225, 0.6, 0.24],
  cobalt: [220, 0.8, 0.42],
  indigo: [250, 0.55, 0.38],
  purple: [275, 0.55, 0.45],
  violet: [270, 0.65, 0.55],
  lavender: [265, 0.55, 0.78],
  magenta: [305, 0.75, 0.52],
  pink: [335, 0.8, 0.72],
  rose: [345, 0.65, 0.62],
  coral: [12, 0.8, 0.66],
  peach: [25, 0.85, 0.78],
  brown: [25, 0.45, 0.3],
  beige: [38, 0.45, 0.8],
  white: [0, 0, 0.95],
  black: [0, 0, 0.06],
  gray: [0, 0, 0.5],
  grey: [0, 0, 0.5],
  silver: [210, 0.08, 0.72],
};

const MOODS = {
  pastel: [
    'pastel',
    'soft',
    'dreamy',
    'calm',
    'serene',
    'gentle',
    'peaceful',
    'light',
    'airy',
    'cute',
  ],
  dark: ['dark', 'moody', 'gloomy', 'noir', 'shadow', 'gothic', 'mysterious', 'horror', 'eerie'],
  vibrant: [
    'vibrant',
    'bright',
    'colorful',
    'colourful',
    'vivid',
    'bold',
    'saturated',
    'psychedelic',
    'pop',
  ],
  minimal: ['minimal', 'minimalist', 'simple', 'clean', 'zen', 'empty', 'sparse'],
  busy: ['busy', 'chaotic', 'complex', 'detailed', 'intricate', 'crowded', 'maximalist', 'many'],
} as const;

export function hsl(h: number, s: number, l: number): Rgb {
  const hue = (((h % 360) + 360) % 360) / 360;
  const sat = clamp01(s);
  const light = clamp01(l);
  if (sat === 0) return [light, light, light];
  const q = light < 0.5 ? light * (1 + sat) : light + sat - light * sat;
  const p = 2 * light - q;
  const channel = (t: number) => {
    const x = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (x < 1 / 6) return p + (q - p) * 6 * x;
    if (x < 1 / 2) return q;
    if (x < 2 / 3) return p + (q - p) * (2 / 3 - x) * 6;
    return p;
  };
  return [channel(hue + 1 / 3), channel(hue), channel(hue - 1 / 3)];
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export function imageFeatures(prompt: string, negativePrompt: string, seed: number): ImageFeatures {
  const words = readPrompt(prompt, negativePrompt);
  const rng = new Random(seed ^ hashText(prompt.toLowerCase(), 0x1d));
  const matched: string[] = [];
  const removed: string[] = [];

  // Colours named in the prompt lead the palette; colours ruled out are avoided.
  const named: (readonly [number, number, number])[] = [];
  const avoidHues: number[] = [];
  for (const [word, colour] of Object.entries(COLOURS)) {
    if (matches(words, [word]).length > 0) {
      named.push(colour);
      matched.push(word);
    }
    if (rulesOut(words, [word])) {
      removed.push(word);
      if (colour[1] > 0.1) avoidHues.push(colour[0]);
    }
  }

  const themes = THEMES.filter((theme) => matches(words, theme.words).length > 0);
  const motifs = new Set<Motif>();
  const themeHues: number[] = [];
  for (const theme of themes) {
    matched.push(...matches(words, theme.words));
    themeHues.push(...theme.hues);
    for (const motif of theme.motifs) motifs.add(motif);
  }
  for (const motif of [...motifs]) {
    if (rulesOut(words, [motif]) || (motif === 'trees' && rulesOut(words, ['tree']))) {
      motifs.delete(motif);
      removed.push(motif);
    }
  }
  const dark = themes.some((t) => t.dark) || mentioned(words, MOODS.dark);
  const light = themes.some((t) => t.light) && !dark;
  const pastel = mentioned(words, MOODS.pastel);
  const vibrant = mentioned(words, MOODS.vibrant);
  const minimal = mentioned(words, MOODS.minimal);
  const busy = mentioned(words, MOODS.busy);
  for (const [mood, list] of Object.entries(MOODS)) {
    if (mentioned(words, list)) matched.push(mood);
  }

  // Every other word nudges the hues: unknown prompts still differ from each other.
  const known = new Set(matched);
  const otherHues = [...words.wanted]
    .filter((w) => !known.has(w))
    .map((w) => hashText(w, 0x48) % 360);
  const hues = [...named.map((c) => c[0]), ...themeHues, ...otherHues];
  if (hues.length === 0) hues.push(rng.int(360));
  const baseHue = avoid(hues[0] as number, avoidHues);
  const harmony = rng.pick([30, 150, 120, 180, 60]);

  const saturation = pastel ? 0.42 : vibrant ? 0.9 : rng.range(0.55, 0.8);
  const hueAt = (i: number) => {
    const h = i < hues.length ? (hues[i] as number) : baseHue + harmony * i + rng.range(-15, 15);
    return avoid(h + rng.range(-8, 8), avoidHues);
  };

  const bgLight = dark
    ? [0.07, 0.16, 0.28]
    : light
      ? [0.92, 0.82, 0.7]
      : pastel
        ? [0.86, 0.76, 0.66]
        : [0.22, 0.42, 0.62];
  const background: Rgb[] = bgLight.map((l, i) => {
    const colour = i === 0 && named[0] && !dark && !light ? named[0] : undefined;
    return colour
      ? hsl(colour[0], colour[1] * 0.8, l)
      : hsl(hueAt(i), saturation * (dark ? 0.7 : 0.85), l);
  });
  const accents: Rgb[] = [];
  for (let i = 0; i < 5; i += 1) {
    const colour = named[i];
    if (colour) {
      accents.push(hsl(colour[0], colour[1], colour[2]));
      continue;
    }
    const l = dark
      ? rng.range(0.5, 0.75)
      : light
        ? rng.range(0.35, 0.6)
        : pastel
          ? rng.range(0.68, 0.84)
          : rng.range(0.4, 0.68);
    accents.push(hsl(hueAt(i + 1), saturation, l));
  }

  if (motifs.size === 0) {
    // Nothing recognised: an abstract composition, its motifs chosen by the seed.
    const pool: Motif[] = ['circles', 'rings', 'grid', 'stripes', 'hills', 'waves'];
    motifs.add(rng.pick(pool));
    if (rng.chance(0.5)) motifs.add(rng.pick(pool));
  }
  const shapes = minimal ? rng.int(3) : busy ? 14 + rng.int(10) : 4 + rng.int(6);
  const gradient: ImageFeatures['gradient'] = rng.chance(motifs.has('sun') || dark ? 0.25 : 0.4)
    ? { kind: 'radial', cx: rng.range(0.25, 0.75), cy: rng.range(0.2, 0.6) }
    : { kind: 'linear', angle: Math.PI / 2 + rng.range(-0.6, 0.6) };

  return {
    background,
    accents,
    gradient,
    motifs: [...motifs],
    shapes,
    vignette: dark ? 0.45 : minimal ? 0.1 : rng.range(0.15, 0.35),
    matched: [...new Set(matched)],
    removed: [...new Set(removed)],
  };
}

function mentioned(words: PromptWords, list: readonly string[]): boolean {
  return matches(words, list).length > 0;
}

/** Moves a hue at least 40° away from every hue the negative prompt named. */
function avoid(hue: number, avoided: readonly number[]): number {
  let h = ((hue % 360) + 360) % 360;
  for (let round = 0; round < 4; round += 1) {
    const near = avoided.find((a) => Math.min(Math.abs(h - a), 360 - Math.abs(h - a)) < 40);
    if (near === undefined) break;
    h = (near + 80 + round * 45) % 360;
  }
  return h;
}
