import { matches, mentions, readPrompt, rulesOut } from '../media/prompt.ts';
import { combineSeeds, hashText, Random } from '../media/random.ts';

/**
 * From a prompt to a score: a style (calm, dark, upbeat, epic, lo-fi, electronic, rock)
 * from the mood words, which sets the tempo range, the modes, the instruments and the drum
 * pattern; explicit "120 bpm", "in D minor", instrument words ("piano", "guitar",
 * "strings", "bells", "808") and "no drums" override it. Then an arrangement: a chord
 * progression, a bass line, pads, a melody built from a two-bar motif with variations,
 * and drums, as a list of note events. Everything is drawn from a generator seeded by the
 * seed and the prompt, so different prompts give different music and the same prompt and
 * seed the same music.
 */

export type PadVoice = 'pad-soft' | 'pad-saw' | 'strings' | 'organ';
export type LeadVoice = 'lead-square' | 'lead-saw' | 'lead-sine' | 'bell' | 'pluck';
export type KeysVoice = 'piano' | 'epiano';
export type BassVoice = 'bass-sub' | 'bass-synth';
export type DrumVoice = 'kick' | 'snare' | 'clap' | 'hat' | 'open-hat' | 'tom';
export type Voice = PadVoice | LeadVoice | KeysVoice | BassVoice | DrumVoice;
export type DrumKit = 'soft' | 'pop' | 'four' | 'lofi' | 'rock' | 'epic';

export const MODES = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
  lydian: [0, 2, 4, 6, 7, 9, 11],
  phrygian: [0, 1, 3, 5, 7, 8, 10],
} as const;
export type Mode = keyof typeof MODES;

interface Style {
  name: string;
  words: readonly string[];
  tempo: readonly [number, number];
  modes: readonly Mode[];
  pad: PadVoice | null;
  lead: LeadVoice | null;
  keys: KeysVoice | null;
  bass: BassVoice;
  drums: DrumKit | null;
  /** Probability of a note on each eighth of the melody. */
  density: number;
  swing: number;
  reverb: number;
  /** 0–1: the synths' filter cutoff. */
  brightness: number;
  /** Chord progressions as scale degrees (0 = tonic), one chord a bar. */
  progressions: readonly (readonly number[])[];
}

const STYLES: readonly Style[] = [
  {
    name: 'calm',
    words: [
      'calm',
      'peaceful',
      'relaxing',
      'relax',
      'ambient',
      'serene',
      'sleep',
      'meditation',
      'gentle',
      'soft',
      'quiet',
      'tranquil',
      'soothing',
      'dreamy',
      'slow',
      'lullaby',
      'spa',
    ],
    tempo: [62, 80],
    modes: ['major', 'lydian', 'minor'],
    pad: 'pad-soft',
    lead: 'bell',
    keys: 'piano',
    bass: 'bass-sub',
    drums: null,
    density: 0.3,
    swing: 0,
    reverb: 0.5,
    brightness: 0.3,
    progressions: [
      [0, 5, 3, 4],
      [0, 3, 5, 4],
      [0, 4, 5, 3],
      [0, 3, 0, 4],
    ],
  },
  {
    name: 'dark',
    words: [
      'sad',
      'melancholy',
      'melancholic',
      'dark',
      'gloomy',
      'somber',
      'moody',
      'haunting',
      'tense',
      'horror',
      'mysterious',
      'lonely',
      'rain',
      'rainy',
      'grief',
      'eerie',
      'sorrow',
    ],
    tempo: [60, 86],
    modes: ['minor', 'phrygian', 'dorian'],
    pad: 'strings',
    lead: 'lead-sine',
    keys: 'piano',
    bass: 'bass-sub',
    drums: 'soft',
    density: 0.35,
    swing: 0,
    reverb: 0.45,
    brightness: 0.3,
    progressions: [
      [0, 5, 2, 6],
      [0, 3, 4, 0],
      [0, 6, 5, 4],
      [0, 5, 3, 4],
    ],
  },
  {
    name: 'upbeat',
    words: [
      'upbeat',
      'happy',
      'energetic',
      'fun',
      'party',
      'dance',
      'cheerful',
      'joyful',
      'uplifting',
      'summer',
      'fast',
      'sunny',
      'pop',
      'bright',
      'playful',
      'positive',
      'festive',
    ],
    tempo: [112, 132],
    modes: ['major', 'mixolydian'],
    pad: 'pad-saw',
    lead: 'lead-square',
    keys: null,
    bass: 'bass-synth',
    drums: 'pop',
    density: 0.65,
    swing: 0,
    reverb: 0.2,
    brightness: 0.7,
    progressions: [
      [0, 4, 5, 3],
      [0, 3, 4, 4],
      [0, 5, 3, 4],
      [3, 4, 0, 5],
    ],
  },
  {
    name: 'epic',
    words: [
      'epic',
      'cinematic',
      'heroic',
      'orchestral',
      'trailer',
      'battle',
      'adventure',
      'triumphant',
      'majestic',
      'powerful',
      'war',
      'fantasy',
      'soundtrack',
    ],
    tempo: [84, 104],
    modes: ['minor', 'dorian'],
    pad: 'strings',
    lead: 'lead-saw',
    keys: null,
    bass: 'bass-synth',
    drums: 'epic',
    density: 0.45,
    swing: 0,
    reverb: 0.55,
    brightness: 0.5,
    progressions: [
      [0, 5, 2, 6],
      [0, 6, 5, 6],
      [0, 3, 5, 4],
      [5, 3, 0, 4],
    ],
  },
  {
    name: 'lofi',
    words: [
      'lofi',
      'lo-fi',
      'chill',
      'chillhop',
      'jazz',
      'jazzy',
      'hiphop',
      'hip-hop',
      'study',
      'coffee',
      'cafe',
      'mellow',
      'groove',
      'smooth',
      'nostalgic',
    ],
    tempo: [72, 90],
    modes: ['dorian', 'minor', 'major'],
    pad: null,
    lead: 'lead-sine',
    keys: 'epiano',
    bass: 'bass-sub',
    drums: 'lofi',
    density: 0.4,
    swing: 0.18,
    reverb: 0.3,
    brightness: 0.35,
    progressions: [
      [1, 4, 0, 0],
      [0, 5, 1, 4],
      [3, 2, 1, 0],
      [0, 3, 1, 4],
    ],
  },
  {
    name: 'electronic',
    words: [
      'edm',
      'techno',
      'house',
      'electronic',
      'electro',
      'synth',
      'synthwave',
      'retro',
      '80s',
      'trance',
      'disco',
      'club',
      'chiptune',
      '8-bit',
      'cyberpunk',
      'rave',
      'futuristic',
    ],
    tempo: [118, 130],
    modes: ['minor', 'dorian'],
    pad: 'pad-saw',
    lead: 'lead-saw',
    keys: null,
    bass: 'bass-synth',
    drums: 'four',
    density: 0.55,
    swing: 0,
    reverb: 0.25,
    brightness: 0.75,
    progressions: [
      [0, 5, 2, 6],
      [0, 0, 5, 6],
      [0, 3, 5, 4],
      [5, 3, 0, 6],
    ],
  },
  {
    name: 'rock',
    words: [
      'rock',
      'metal',
      'punk',
      'grunge',
      'garage',
      'guitar',
      'riff',
      'blues',
      'indie',
      'aggressive',
      'loud',
    ],
    tempo: [108, 148],
    modes: ['mixolydian', 'minor', 'major'],
    pad: 'organ',
    lead: 'pluck',
    keys: null,
    bass: 'bass-synth',
    drums: 'rock',
    density: 0.6,
    swing: 0,
    reverb: 0.18,
    brightness: 0.65,
    progressions: [
      [0, 6, 3, 0],
      [0, 3, 4, 3],
      [0, 5, 3, 4],
      [0, 2, 3, 4],
    ],
  },
];

/** Instrument words: the voice they bring in, and where it goes. */
const INSTRUMENTS: readonly {
  words: readonly string[];
  part: 'lead' | 'pad' | 'keys' | 'bass';
  voice: Voice;
}[] = [
  { words: ['piano', 'keys', 'keyboard'], part: 'keys', voice: 'piano' },
  { words: ['rhodes', 'wurlitzer', 'electric-piano'], part: 'keys', voice: 'epiano' },
  {
    words: ['bell', 'chime', 'glockenspiel', 'celesta', 'music-box', 'marimba', 'vibraphone'],
    part: 'lead',
    voice: 'bell',
  },
  {
    words: ['guitar', 'harp', 'pluck', 'plucked', 'banjo', 'ukulele', 'koto'],
    part: 'lead',
    voice: 'pluck',
  },
  {
    words: ['flute', 'whistle', 'ocarina', 'voice', 'choir', 'vocal'],
    part: 'lead',
    voice: 'lead-sine',
  },
  { words: ['chiptune', '8-bit', 'arcade', 'square'], part: 'lead', voice: 'lead-square' },
  { words: ['strings', 'violin', 'cello', 'orchestra', 'viola'], part: 'pad', voice: 'strings' },
  { words: ['organ', 'hammond'], part: 'pad', voice: 'organ' },
  { words: ['pad', 'pads', 'drone', 'atmosphere', 'atmospheric'], part: 'pad', voice: 'pad-soft' },
  { words: ['808', 'sub', 'subbass'], part: 'bass', voice: 'bass-sub' },
];

const DRUM_WORDS = ['drum', 'drums', 'beat', 'beats', 'percussion', 'groove', 'rhythm', 'kick'];
const NOTE_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];

export interface MusicPlan {
  style: string;
  tempo: number;
  /** MIDI note of the tonic (C3 = 48). */
  root: number;
  key: string;
  mode: Mode;
  progression: number[];
  voices: {
    pad: PadVoice | null;
    lead: LeadVoice | null;
    keys: KeysVoice | null;
    bass: BassVoice | null;
    drums: DrumKit | null;
  };
  swing: number;
  reverb: number;
  brightness: number;
  density: number;
  /** Words that decided something, for metadata.json. */
  matched: string[];
}

export interface NoteEvent {
  voice: Voice;
  /** First frame. */
  start: number;
  /** Frames until the note is released (drums: how long they ring). */
  length: number;
  /** Hz. */
  freq: number;
  /** 0–1. */
  velocity: number;
  /** -1 (left) to 1 (right). */
  pan: number;
  /** Share sent to the reverb, 0–1. */
  send: number;
  /** Seeds the voice's noise (drums, plucks). */
  seed: number;
}

export function midiToHz(note: number): number {
  return 440 * 2 ** ((note - 69) / 12);
}

/** Reads the prompt into a plan; nothing here depends on the duration. */
export function planMusic(prompt: string, seed: number): MusicPlan {
  const words = readPrompt(prompt);
  const rng = new Random(combineSeeds(seed, hashText(prompt.toLowerCase(), 0x3c)));
  const matched: string[] = [];

  const scored = STYLES.map((style) => ({ style, hits: matches(words, style.words) }));
  const best = Math.max(...scored.map((s) => s.hits.length));
  let style: Style;
  if (best === 0) {
    // No mood word: any style, chosen by the prompt and seed.
    style = rng.pick(STYLES);
  } else {
    const top = scored.filter((s) => s.hits.length === best);
    const chosen = rng.pick(top);
    style = chosen.style;
    for (const s of scored) matched.push(...s.hits);
  }

  let tempo = Math.round(rng.range(style.tempo[0], style.tempo[1]));
  const bpm = /\b(\d{2,3})\s*bpm\b/i.exec(prompt);
  if (bpm) {
    tempo = Math.min(200, Math.max(40, Number(bpm[1])));
    matched.push(`${tempo} bpm`);
  } else if (mentions(words, ['slow', 'slower', 'downtempo']) && style.name !== 'calm') {
    tempo = Math.round(tempo * 0.85);
  } else if (
    mentions(words, ['fast', 'faster', 'uptempo', 'energetic']) &&
    style.name !== 'upbeat'
  ) {
    tempo = Math.round(tempo * 1.15);
  }

  let mode: Mode = rng.pick(style.modes);
  let tonic = rng.int(12);
  const key = /\b([a-g])(#|♯|b|♭|-sharp|-flat| sharp| flat)?\s*(major|minor|maj|min)\b/i.exec(
    prompt,
  );
  if (key) {
    const base = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 }[
      (key[1] as string).toLowerCase() as 'c'
    ];
    const accidental = (key[2] ?? '').trim().replace('-', '');
    const shift = /^(#|♯|sharp)$/.test(accidental) ? 1 : /^(b|♭|flat)$/.test(accidental) ? -1 : 0;
    tonic = (base + shift + 12) % 12;
    mode = /^maj/i.test(key[3] as string) ? 'major' : 'minor';
    matched.push(key[0]);
  } else {
    for (const m of Object.keys(MODES) as Mode[]) {
      if (mentions(words, [m])) {
        mode = m;
        matched.push(m);
      }
    }
  }
  // Bass-heavy moods sit lower.
  const root = 48 + tonic - (tonic > 6 ? 12 : 0);

  const voices: MusicPlan['voices'] = {
    pad: style.pad,
    lead: style.lead,
    keys: style.keys,
    bass: style.bass,
    drums: style.drums,
  };
  for (const instrument of INSTRUMENTS) {
    const hits = matches(words, instrument.words);
    if (hits.length === 0) continue;
    matched.push(...hits);
    (voices as Record<string, Voice | DrumKit | null>)[instrument.part] = instrument.voice;
  }
  if (mentions(words, DRUM_WORDS) && !voices.drums) {
    voices.drums = style.name === 'calm' ? 'soft' : 'pop';
    matched.push(...matches(words, DRUM_WORDS));
  }
  if (rulesOut(words, DRUM_WORDS)) voices.drums = null;
  if (rulesOut(words, ['bass'])) voices.bass = null;
  if (rulesOut(words, ['melody', 'lead'])) voices.lead = null;
  if (rulesOut(words, ['piano', 'keys'])) voices.keys = null;
  if (rulesOut(words, ['pad', 'pads', 'strings'])) voices.pad = null;
  if (!voices.pad && !voices.lead && !voices.keys) voices.pad = 'pad-soft';

  return {
    style: style.name,
    tempo,
    root,
    key: `${NOTE_NAMES[tonic]} ${mode}`,
    mode,
    progression: [...rng.pick(style.progressions)],
    voices,
    swing: style.swing,
    reverb: style.reverb,
    brightness: style.brightness,
    density: style.density,
    matched: [...new Set(matched)],
  };
}

/**
 * Writes the score: note events from frame 0 to `totalFrames` (notes may ring past it;
 * the synthesiser cuts them). Sorted by start.
 */
export function arrange(
  plan: MusicPlan,
  seed: number,
  totalFrames: number,
  sampleRate: number,
): NoteEvent[] {
  const rng = new Random(combineSeeds(seed, 0xa77a));
  const events: NoteEvent[] = [];
  const scale = MODES[plan.mode];
  const beat = (60 / plan.tempo) * sampleRate;
  const bar = beat * 4;
  const sixteenth = beat / 4;
  const bars = Math.ceil(totalFrames / bar);
  // A bar or two of pads before the rest comes in, when there is time for it.
  const intro = totalFrames / sampleRate >= 16 ? (plan.tempo < 90 ? 1 : 2) : 0;
  const note = (degree: number, octave = 0) => {
    const d = ((degree % 7) + 7) % 7;
    const o = Math.floor(degree / 7) + octave;
    return plan.root + (scale[d] as number) + 12 * o;
  };
  let seq = 0;
  const add = (
    voice: Voice,
    start: number,
    length: number,
    midi: number,
    velocity: number,
    pan = 0,
    send = plan.reverb,
  ) => {
    if (start >= totalFrames) return;
    seq += 1;
    events.push({
      voice,
      start: Math.max(0, Math.round(start)),
      length: Math.max(1, Math.round(length)),
      freq: midiToHz(midi),
      velocity: Math.min(1, Math.max(0, velocity)),
      pan,
      send,
      seed: combineSeeds(seed, seq),
    });
  };
  const swingAt = (step: number) => (step % 2 === 1 ? plan.swing * sixteenth * 2 : 0);

  // The melody: a two-bar motif in eighths, repeated with variations each phrase.
  const motif = makeMotif(rng, plan.density);

  for (let b = 0; b < bars; b += 1) {
    const t0 = b * bar;
    const degree = plan.progression[b % plan.progression.length] as number;
    const phrase = Math.floor(b / 4);
    const inIntro = b < intro;
    const chord = [degree, degree + 2, degree + 4];
    const seventh = plan.style === 'lofi' || plan.style === 'calm';

    if (plan.voices.pad) {
      const pan = [-0.35, 0.35, 0];
      chord.forEach((d, i) =>
        add(plan.voices.pad as Voice, t0, bar, note(d, 0), 0.6, pan[i], plan.reverb + 0.15),
      );
      if (seventh)
        add(plan.voices.pad, t0, bar, note(degree + 6, 0), 0.35, 0.15, plan.reverb + 0.15);
    }

    if (plan.voices.keys && !(inIntro && plan.voices.pad)) {
      const tones = seventh ? [...chord, degree + 6] : chord;
      if (plan.voices.keys === 'piano' && plan.style !== 'lofi') {
        // Arpeggio in eighths, up and back.
        const order = [0, 1, 2, tones.length - 1, 2, 1, 0, 1];
        order.forEach((i, k) =>
          add(
            'piano',
            t0 + k * 2 * sixteenth + swingAt(k * 2),
            sixteenth * 3,
            note(tones[i] as number, 1),
            0.55 + 0.1 * rng.next(),
            -0.2 + 0.1 * k * 0.5,
          ),
        );
      } else {
        // Chords on beats 1 and the "and" of 2, lo-fi style.
        for (const at of [0, 6, 10]) {
          if (at === 10 && rng.chance(0.5)) continue;
          tones.forEach((d, i) =>
            add(
              plan.voices.keys as Voice,
              t0 + at * sixteenth + swingAt(at) + i * 40,
              sixteenth * 5,
              note(d, 1),
              0.45,
              -0.15 + 0.1 * i,
            ),
          );
        }
      }
    }

    if (plan.voices.bass && !(inIntro && b === 0 && intro > 0)) {
      const r = note(degree, -1);
      switch (plan.voices.drums) {
        case 'pop':
        case 'rock':
          for (let s = 0; s < 16; s += 2)
            add(
              plan.voices.bass,
              t0 + s * sixteenth,
              sixteenth * 1.7,
              r + (s === 6 || s === 14 ? 12 : 0),
              0.75,
              0,
              0.05,
            );
          break;
        case 'four':
          for (let s = 2; s < 16; s += 4)
            add(plan.voices.bass, t0 + s * sixteenth, sixteenth * 1.6, r, 0.85, 0, 0.05);
          break;
        case 'lofi':
          add(plan.voices.bass, t0, sixteenth * 6, r, 0.8, 0, 0.05);
          add(
            plan.voices.bass,
            t0 + 10 * sixteenth + swingAt(10),
            sixteenth * 4,
            r + (scale[4] as number),
            0.7,
            0,
            0.05,
          );
          break;
        case 'epic':
          add(plan.voices.bass, t0, sixteenth * 7, r, 0.85, 0, 0.1);
          add(plan.voices.bass, t0 + 8 * sixteenth, sixteenth * 7, r, 0.75, 0, 0.1);
          break;
        default:
          add(plan.voices.bass, t0, bar * 0.95, r, 0.7, 0, 0.1);
      }
    }

    if (plan.voices.lead && !inIntro) {
      const variation = phrase % 2 === 1 ? 2 : 0;
      const half = b % 2;
      for (const step of motif) {
        if (step.at < half * 8 || step.at >= half * 8 + 8) continue;
        // The fourth bar of a phrase answers: it ends on a chord tone.
        const last = b % 4 === 3 && step.at === motif.at(-1)?.at;
        const d = last ? degree : step.degree + variation + (b % 4 === 2 ? 1 : 0);
        const length = step.length * 2 * sixteenth * (plan.voices.lead === 'pluck' ? 0.9 : 0.95);
        add(
          plan.voices.lead,
          t0 + (step.at - half * 8) * 2 * sixteenth + swingAt(step.at * 2),
          length,
          note(d, 1),
          0.6 + 0.25 * rng.next(),
          0.1,
          plan.reverb + 0.1,
        );
      }
    }

    if (plan.voices.drums && !(inIntro && b === 0)) {
      drumBar(
        plan.voices.drums,
        sixteenth,
        rng,
        (voice, at, velocity, pan) => {
          const midi = voice === 'tom' ? plan.root - 5 + rng.int(5) : 36;
          add(
            voice,
            t0 + at + (voice === 'hat' ? swingAt(Math.round(at / sixteenth)) : 0),
            voice === 'open-hat' ? sixteenth * 2 : sixteenth,
            midi,
            velocity,
            pan,
            voice === 'snare' || voice === 'clap' ? 0.25 : 0.08,
          );
        },
        b % 4 === 3,
        inIntro,
      );
    }
  }
  events.sort((a, b) => a.start - b.start || a.seed - b.seed);
  return events;
}

interface MotifStep {
  /** Eighth within the two bars, 0–15. */
  at: number;
  /** Length in eighths. */
  length: number;
  /** Scale degree, one octave up. */
  degree: number;
}

function makeMotif(rng: Random, density: number): MotifStep[] {
  const steps: MotifStep[] = [];
  let degree = rng.pick([0, 2, 4]);
  for (let at = 0; at < 16; at += 1) {
    const strong = at % 4 === 0;
    if (!(at === 0 || rng.chance(strong ? Math.min(0.95, density + 0.3) : density * 0.8))) continue;
    // Mostly steps, sometimes a leap; stay within about an octave.
    const move = rng.chance(0.7) ? rng.pick([-1, 1, 1, -1, 0]) : rng.pick([-3, -2, 2, 3, 4]);
    degree = Math.max(-2, Math.min(9, degree + move));
    steps.push({ at, length: 1, degree: strong ? degree - (degree % 2) : degree });
  }
  for (let i = 0; i < steps.length; i += 1) {
    const next = steps[i + 1]?.at ?? 16;
    (steps[i] as MotifStep).length = next - (steps[i] as MotifStep).at;
  }
  return steps;
}

function drumBar(
  kit: DrumKit,
  sixteenth: number,
  rng: Random,
  hit: (voice: DrumVoice, at: number, velocity: number, pan: number) => void,
  fill: boolean,
  sparse: boolean,
): void {
  const at = (step: number) => step * sixteenth;
  const human = () => 0.9 + 0.1 * rng.next();
  switch (kit) {
    case 'soft':
      hit('kick', at(0), 0.55 * human(), 0);
      if (!sparse) for (const s of [4, 12]) hit('hat', at(s), 0.25 * human(), 0.3);
      if (!sparse && rng.chance(0.5)) hit('kick', at(10), 0.4, 0);
      break;
    case 'pop':
      for (const s of [0, 8]) hit('kick', at(s), human(), 0);
      if (rng.chance(0.5)) hit('kick', at(10), 0.8 * human(), 0);
      for (const s of [4, 12]) hit('snare', at(s), 0.9 * human(), 0.05);
      for (let s = 0; s < 16; s += 2)
        hit(
          s === 14 && rng.chance(0.4) ? 'open-hat' : 'hat',
          at(s),
          (s % 4 === 0 ? 0.5 : 0.35) * human(),
          0.3,
        );
      break;
    case 'four':
      for (const s of [0, 4, 8, 12]) hit('kick', at(s), human(), 0);
      for (const s of [4, 12]) hit('clap', at(s), 0.8 * human(), -0.05);
      for (const s of [2, 6, 10, 14]) hit('open-hat', at(s), 0.35 * human(), 0.25);
      for (let s = 1; s < 16; s += 2) hit('hat', at(s), 0.18 * human(), -0.25);
      break;
    case 'lofi':
      for (const s of [0, 7, 10]) hit('kick', at(s), (s === 0 ? 0.85 : 0.65) * human(), 0);
      for (const s of [4, 12]) hit('snare', at(s), 0.6 * human(), 0.05);
      for (let s = 0; s < 16; s += 2) hit('hat', at(s), 0.22 * human(), 0.3);
      break;
    case 'rock':
      for (const s of [0, 8, 10]) hit('kick', at(s), human(), 0);
      for (const s of [4, 12]) hit('snare', at(s), human(), 0.05);
      for (let s = 0; s < 16; s += 2) hit('hat', at(s), 0.45 * human(), 0.35);
      break;
    case 'epic':
      for (const s of [0, 6, 8]) hit('kick', at(s), human(), 0);
      hit('snare', at(12), human(), 0);
      for (const s of [10, 14]) hit('tom', at(s), 0.7 * human(), s === 10 ? -0.4 : 0.4);
      break;
  }
  if (fill && kit !== 'soft' && !sparse) {
    for (const s of [13, 14, 15])
      hit(
        kit === 'epic' ? 'tom' : 'snare',
        at(s),
        (0.5 + 0.1 * (s - 13)) * human(),
        (s - 14) * 0.3,
      );
  }
}
