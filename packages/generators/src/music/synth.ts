import type { NoteEvent, Voice } from './compose.ts';

// Math's members as module bindings: in a vm context (Jest's test environment) every
// global lookup inside a hot loop is slow, and elsewhere this costs nothing.
const { abs, cos, exp, floor, max, min, round, sin, tanh, PI } = Math;

/**
 * A small deterministic synthesiser: each note event becomes a voice (band-limited saw and
 * square oscillators, FM bells and electric piano, additive piano and organ, a plucked
 * string, sine sub bass, and drums from pitched sines and filtered noise), mixed to stereo
 * with constant-power panning, sent to a small reverb, soft-limited and faded in and out.
 * It renders in chunks and keeps every voice's state between them, so the output does not
 * depend on the chunk size. All randomness comes from the events' seeds.
 */

const TABLE_SIZE = 4096;
const SINE = new Float32Array(TABLE_SIZE + 1);
for (let i = 0; i <= TABLE_SIZE; i += 1) SINE[i] = sin((2 * PI * i) / TABLE_SIZE);

/** sin(2π·p) for p in [0, 1), from a table with linear interpolation. */
function sin01(p: number): number {
  const x = p * TABLE_SIZE;
  const i = x | 0;
  const a = SINE[i] as number;
  return a + ((SINE[i + 1] as number) - a) * (x - i);
}

/** Wraps a phase into [0, 1). */
function wrap(p: number): number {
  return p - floor(p);
}

/** PolyBLEP correction for a discontinuity at phase 0, `dt` = frequency / sample rate. */
function blep(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt;
    return x + x - x * x - 1;
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt;
    return x * x + x + x + 1;
  }
  return 0;
}

function saw(p: number, dt: number): number {
  return 2 * p - 1 - blep(p, dt);
}

function square(p: number, dt: number): number {
  return (p < 0.5 ? 1 : -1) + blep(p, dt) - blep(wrap(p + 0.5), dt);
}

/** One-pole low-pass coefficient for a cutoff in Hz. */
function onePole(cutoff: number, sampleRate: number): number {
  return 1 - exp((-2 * PI * min(cutoff, sampleRate * 0.45)) / sampleRate);
}

/** Per-sample multiplier of an exponential decay with time constant `seconds`. */
function decay(seconds: number, sampleRate: number): number {
  return exp(-1 / (seconds * sampleRate));
}

/** xorshift32: the voice's own noise, from its event's seed. */
function noiseSource(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2_147_483_648 - 1;
  };
}

interface Envelope {
  attack: number;
  decay: number;
  sustain: number;
  release: number;
}

function envelopeAt(k: number, e: Envelope): number {
  if (k < e.attack) return k / e.attack;
  if (k < e.attack + e.decay) return 1 - ((1 - e.sustain) * (k - e.attack)) / e.decay;
  return e.sustain;
}

/** Linear attack and decay, then sustain; after note-off, a release from where it was. */
function adsr(n: number, length: number, e: Envelope): number {
  if (n < length) return envelopeAt(n, e);
  const r = (n - length) / e.release;
  return r >= 1 ? 0 : envelopeAt(length, e) * (1 - r) * (1 - r);
}

interface ActiveVoice {
  /** First frame after the voice has died away. */
  end: number;
  /** Adds frames [from, to) into the buffers, which start at frame `base`. */
  render(out: Bus, from: number, to: number, base: number): void;
}

interface Bus {
  left: Float32Array;
  right: Float32Array;
  sendLeft: Float32Array;
  sendRight: Float32Array;
}

export interface SynthOptions {
  sampleRate: number;
  totalFrames: number;
  /** Reverb mix, 0–1. */
  reverb: number;
  /** 0–1: opens the synths' filters. */
  brightness: number;
}

/** A voice's dry signal: fills `buffer` with frames starting at frame `start` of the note. */
type Signal = (buffer: Float32Array, count: number, n0: number) => void;

export class Synth {
  private readonly rate: number;
  private readonly events: readonly NoteEvent[];
  private next = 0;
  private active: ActiveVoice[] = [];
  private frame = 0;
  private readonly reverb: Reverb;
  private readonly fadeIn: number;
  private readonly fadeOut: number;
  private bus: Bus = {
    left: new Float32Array(0),
    right: new Float32Array(0),
    sendLeft: new Float32Array(0),
    sendRight: new Float32Array(0),
  };

  constructor(
    events: readonly NoteEvent[],
    private readonly options: SynthOptions,
  ) {
    this.rate = options.sampleRate;
    this.events = events;
    this.reverb = new Reverb(options.sampleRate, 0.7 + 0.2 * options.reverb);
    this.fadeIn = min(options.totalFrames, round(0.02 * this.rate));
    this.fadeOut = min(
      options.totalFrames,
      round(min(3, (options.totalFrames / this.rate) * 0.12) * this.rate),
    );
  }

  get framesDone(): number {
    return this.frame;
  }

  /** The next `count` frames as interleaved 16-bit little-endian stereo PCM. */
  render(count: number): Uint8Array {
    const n = min(count, this.options.totalFrames - this.frame);
    if (this.bus.left.length < n) {
      this.bus = {
        left: new Float32Array(n),
        right: new Float32Array(n),
        sendLeft: new Float32Array(n),
        sendRight: new Float32Array(n),
      };
    }
    const { left, right, sendLeft, sendRight } = this.bus;
    left.fill(0, 0, n);
    right.fill(0, 0, n);
    sendLeft.fill(0, 0, n);
    sendRight.fill(0, 0, n);
    const base = this.frame;
    const stop = base + n;

    while (this.next < this.events.length && (this.events[this.next] as NoteEvent).start < stop) {
      this.active.push(this.voice(this.events[this.next] as NoteEvent));
      this.next += 1;
    }
    const still: ActiveVoice[] = [];
    for (const voice of this.active) {
      voice.render(this.bus, base, min(stop, voice.end), base);
      if (voice.end > stop) still.push(voice);
    }
    this.active = still;
    this.reverb.process(sendLeft, sendRight, left, right, n, this.options.reverb);

    const out = new Uint8Array(n * 4);
    const view = new DataView(out.buffer);
    const total = this.options.totalFrames;
    for (let i = 0; i < n; i += 1) {
      const f = base + i;
      let gain = 0.9;
      if (f < this.fadeIn) gain *= f / this.fadeIn;
      const fromEnd = total - f;
      if (fromEnd <= this.fadeOut)
        gain *= 0.5 - 0.5 * cos((PI * (fromEnd - 1)) / max(1, this.fadeOut));
      view.setInt16(i * 4, toPcm(limit((left[i] as number) * gain)), true);
      view.setInt16(i * 4 + 2, toPcm(limit((right[i] as number) * gain)), true);
    }
    this.frame = stop;
    return out;
  }

  private voice(event: NoteEvent): ActiveVoice {
    const { signal, ring } = this.signalFor(event);
    const start = event.start;
    const end = min(this.options.totalFrames, start + ring);
    const angle = ((max(-1, min(1, event.pan)) + 1) * PI) / 4;
    const gl = cos(angle);
    const gr = sin(angle);
    const send = event.send;
    let scratch = new Float32Array(0);
    return {
      end,
      render(out, from, to, base) {
        const begin = max(from, start);
        const count = to - begin;
        if (count <= 0) return;
        if (scratch.length < count) scratch = new Float32Array(count);
        signal(scratch, count, begin - start);
        const o = begin - base;
        for (let i = 0; i < count; i += 1) {
          const x = scratch[i] as number;
          const l = x * gl;
          const r = x * gr;
          out.left[o + i] = (out.left[o + i] as number) + l;
          out.right[o + i] = (out.right[o + i] as number) + r;
          out.sendLeft[o + i] = (out.sendLeft[o + i] as number) + l * send;
          out.sendRight[o + i] = (out.sendRight[o + i] as number) + r * send;
        }
      },
    };
  }

  /** The voice's signal and how many frames it sounds, release included. */
  private signalFor(event: NoteEvent): { signal: Signal; ring: number } {
    const sr = this.rate;
    const s = (seconds: number) => round(seconds * sr);
    const f = event.freq;
    const dt = f / sr;
    const v = event.velocity;
    const length = event.length;
    const bright = this.options.brightness;
    const noise = noiseSource(event.seed);
    const voice: Voice = event.voice;

    switch (voice) {
      case 'pad-soft': {
        const env: Envelope = { attack: s(0.8), decay: 1, sustain: 1, release: s(1.4) };
        const p = [0, 0.33, 0.66];
        return {
          ring: length + env.release,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              p[0] = wrap((p[0] as number) + dt * 0.998);
              p[1] = wrap((p[1] as number) + dt * 1.002);
              p[2] = wrap((p[2] as number) + dt * 2);
              const x = sin01(p[0] as number) + sin01(p[1] as number) + 0.2 * sin01(p[2] as number);
              buf[i] = x * adsr(n0 + i, length, env) * 0.09 * v;
            }
          },
        };
      }
      case 'pad-saw':
      case 'strings': {
        const strings = voice === 'strings';
        const env: Envelope = strings
          ? { attack: s(0.45), decay: 1, sustain: 1, release: s(1) }
          : { attack: s(0.25), decay: s(0.4), sustain: 0.8, release: s(0.8) };
        const detune = strings ? [0.9965, 1, 1.0035] : [0.994, 1, 1.006];
        const p = [0.1, 0.5, 0.8];
        const a = onePole((strings ? 500 : 700) + (strings ? 1800 : 2800) * bright, sr);
        const vib = 5.5 / sr;
        let vp = 0;
        let y = 0;
        return {
          ring: length + env.release,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              vp = wrap(vp + vib);
              const m = strings ? 1 + 0.003 * sin01(vp) : 1;
              let x = 0;
              for (let k = 0; k < 3; k += 1) {
                const d = dt * (detune[k] as number) * m;
                p[k] = wrap((p[k] as number) + d);
                x += saw(p[k] as number, d);
              }
              y += a * (x - y);
              buf[i] = y * adsr(n0 + i, length, env) * 0.045 * v;
            }
          },
        };
      }
      case 'organ': {
        const env: Envelope = { attack: s(0.02), decay: 1, sustain: 1, release: s(0.12) };
        const p = [0, 0, 0, 0];
        const bars = [1, 0.6, 0.4, 0.25];
        const trem = 6 / sr;
        let tp = 0;
        return {
          ring: length + env.release,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              tp = wrap(tp + trem);
              let x = 0;
              for (let k = 0; k < 4; k += 1) {
                p[k] = wrap((p[k] as number) + dt * (k + 1));
                x += (bars[k] as number) * sin01(p[k] as number);
              }
              buf[i] = x * (1 + 0.1 * sin01(tp)) * adsr(n0 + i, length, env) * 0.04 * v;
            }
          },
        };
      }
      case 'lead-square':
      case 'lead-saw':
      case 'lead-sine': {
        const env: Envelope =
          voice === 'lead-sine'
            ? { attack: s(0.04), decay: s(0.1), sustain: 0.8, release: s(0.15) }
            : { attack: s(0.005), decay: s(0.15), sustain: 0.6, release: s(0.1) };
        const a = onePole(1500 + 3500 * bright, sr);
        const vibStart = s(0.2);
        const vib = 5 / sr;
        let vp = 0;
        let p = 0;
        let p2 = 0.3;
        let y = 0;
        return {
          ring: length + env.release,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              const n = n0 + i;
              vp = wrap(vp + vib);
              const m = n > vibStart ? 1 + 0.004 * sin01(vp) : 1;
              const d = dt * m;
              p = wrap(p + d);
              let x: number;
              if (voice === 'lead-sine') {
                x = sin01(p) + 0.12 * sin01(wrap(p * 2));
              } else if (voice === 'lead-square') {
                x = 0.6 * square(p, d);
              } else {
                p2 = wrap(p2 + d * 1.003);
                x = 0.45 * (saw(p, d) + saw(p2, d * 1.003));
              }
              y += a * (x - y);
              buf[i] = (voice === 'lead-sine' ? x : y) * adsr(n, length, env) * 0.1 * v;
            }
          },
        };
      }
      case 'bell':
      case 'epiano': {
        const bell = voice === 'bell';
        const ratio = bell ? 3.5 : 1;
        const ringFrames = bell ? s(2.5) : length + s(0.3);
        const amp = decay(bell ? 1.1 : 1.6, sr);
        const idx = decay(bell ? 0.35 : 0.25, sr);
        const release = s(0.25);
        const attack = s(0.003);
        let level = 1;
        let index = bell ? 3 : 1.6;
        let pc = 0;
        let pm = 0;
        const trem = 4 / sr;
        let tp = 0;
        return {
          ring: ringFrames,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              const n = n0 + i;
              pm = wrap(pm + dt * ratio);
              pc = wrap(pc + dt);
              tp = wrap(tp + trem);
              const x = sin01(wrap(pc + (index * sin01(pm)) / (2 * PI)));
              level *= amp;
              index *= idx;
              let g = level * (n < attack ? n / attack : 1);
              if (!bell && n > length) g *= max(0, 1 - (n - length) / release);
              if (!bell) g *= 1 + 0.15 * sin01(tp);
              buf[i] = x * g * (bell ? 0.12 : 0.1) * v;
            }
          },
        };
      }
      case 'piano': {
        const partials = 6;
        const stretch = Array.from(
          { length: partials },
          (_, k) => (k + 1) * (1 + 0.0004 * (k + 1) * (k + 1)),
        );
        const gains = Array.from({ length: partials }, (_, k) => 1 / (k + 1) ** 1.5);
        const decays = Array.from({ length: partials }, (_, k) => decay(1.8 / (1 + 0.7 * k), sr));
        const levels = gains.slice();
        const p = new Array<number>(partials).fill(0);
        const release = s(0.25);
        const attack = s(0.003);
        return {
          ring: length + release,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              const n = n0 + i;
              let x = 0;
              for (let k = 0; k < partials; k += 1) {
                p[k] = wrap((p[k] as number) + dt * (stretch[k] as number));
                levels[k] = (levels[k] as number) * (decays[k] as number);
                x += (levels[k] as number) * sin01(p[k] as number);
              }
              let g = n < attack ? n / attack : 1;
              if (n > length) g *= max(0, 1 - (n - length) / release);
              buf[i] = x * g * 0.14 * v;
            }
          },
        };
      }
      case 'pluck': {
        // Karplus-Strong: a burst of noise circulating in a delay line one period long,
        // averaged on each pass (the string loses its highs first).
        const line = new Float32Array(max(2, round(sr / f - 0.5)));
        const a = 0.35 + 0.5 * bright;
        let lp = 0;
        for (let i = 0; i < line.length; i += 1) {
          lp += a * (noise() - lp);
          line[i] = lp;
        }
        let pos = 0;
        const release = s(0.12);
        return {
          ring: min(length + release, s(2)),
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              const n = n0 + i;
              const next = pos + 1 === line.length ? 0 : pos + 1;
              const out = line[pos] as number;
              line[pos] = 0.498 * (out + (line[next] as number));
              pos = next;
              const g = n > length ? max(0, 1 - (n - length) / release) : 1;
              buf[i] = out * g * 0.32 * v;
            }
          },
        };
      }
      case 'bass-sub':
      case 'bass-synth': {
        const sub = voice === 'bass-sub';
        const env: Envelope = sub
          ? { attack: s(0.005), decay: s(0.25), sustain: 0.85, release: s(0.07) }
          : { attack: s(0.003), decay: s(0.2), sustain: 0.7, release: s(0.05) };
        const sweep = decay(0.12, sr);
        const peak = 700 + 1600 * bright;
        let cut = 1;
        let p = 0;
        let y = 0;
        let a = 0;
        return {
          ring: length + env.release,
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              const n = n0 + i;
              p = wrap(p + dt);
              let x: number;
              if (sub) {
                const raw = sin01(p) + 0.25 * sin01(wrap(p * 2));
                x = raw * (1 - 0.12 * raw * raw);
              } else {
                cut *= sweep;
                if ((n & 31) === 0 || a === 0) a = onePole(140 + peak * cut, sr);
                y += a * (saw(p, dt) - y);
                x = y * 1.6;
              }
              buf[i] = x * adsr(n, length, env) * (sub ? 0.24 : 0.2) * v;
            }
          },
        };
      }
      case 'kick':
      case 'tom': {
        const kick = voice === 'kick';
        const body = decay(kick ? 0.28 : 0.32, sr);
        const drop = decay(kick ? 0.035 : 0.06, sr);
        const click = decay(0.003, sr);
        const low = kick ? 48 : f;
        const span = kick ? 120 : f * 0.6;
        let level = 1;
        let bend = 1;
        let clickLevel = kick ? 0.35 : 0.1;
        let p = 0;
        return {
          ring: s(kick ? 0.55 : 0.7),
          signal: (buf, count) => {
            for (let i = 0; i < count; i += 1) {
              bend *= drop;
              level *= body;
              clickLevel *= click;
              p = wrap(p + (low + span * bend) / sr);
              buf[i] = (sin01(p) * level + noise() * clickLevel) * (kick ? 0.8 : 0.45) * v;
            }
          },
        };
      }
      case 'snare':
      case 'clap': {
        const snare = voice === 'snare';
        const tail = decay(snare ? 0.11 : 0.12, sr);
        const toneDecay = decay(0.05, sr);
        const a = onePole(1200, sr);
        const burst = s(0.011);
        let level = 1;
        let tone = 0.5;
        let lp = 0;
        let p = 0;
        return {
          ring: s(0.45),
          signal: (buf, count, n0) => {
            for (let i = 0; i < count; i += 1) {
              const n = n0 + i;
              const w = noise();
              lp += a * (w - lp);
              const high = w - lp;
              level *= tail;
              let x: number;
              if (snare) {
                tone *= toneDecay;
                p = wrap(p + 185 / sr);
                x = high * level * 0.6 + sin01(p) * tone;
              } else {
                // Three quick bursts, then the tail: hands that do not clap at once.
                const b = n < burst * 3 ? exp(-(n % burst) / (burst * 0.35)) : level;
                x = high * b * 0.8;
              }
              buf[i] = x * (snare ? 0.35 : 0.3) * v;
            }
          },
        };
      }
      case 'hat':
      case 'open-hat': {
        const open = voice === 'open-hat';
        const tail = decay(open ? 0.2 : 0.035, sr);
        const a = onePole(7000, sr);
        let level = 1;
        let lp = 0;
        let lp2 = 0;
        return {
          ring: s(open ? 0.6 : 0.15),
          signal: (buf, count) => {
            for (let i = 0; i < count; i += 1) {
              const w = noise();
              lp += a * (w - lp);
              const h = w - lp;
              lp2 += a * (h - lp2);
              level *= tail;
              buf[i] = (h - lp2) * level * 0.14 * v;
            }
          },
        };
      }
    }
  }
}

/** Soft knee above 0.8, never past ±1. */
function limit(x: number): number {
  const a = abs(x);
  if (a <= 0.8) return x;
  const y = 0.8 + 0.2 * tanh((a - 0.8) / 0.2);
  return x < 0 ? -y : y;
}

function toPcm(x: number): number {
  return max(-32768, min(32767, round(x * 32767)));
}

/** A small Schroeder reverb (four damped combs and two allpasses per side, as in Freeverb). */
class Reverb {
  private readonly combs: { buffer: Float32Array; pos: number; store: number }[][];
  private readonly allpasses: { buffer: Float32Array; pos: number }[][];

  constructor(
    sampleRate: number,
    private readonly feedback: number,
  ) {
    const scale = sampleRate / 44_100;
    const combLengths = [1116, 1277, 1422, 1617];
    const allpassLengths = [556, 441];
    this.combs = [0, 23].map((spread) =>
      combLengths.map((l) => ({
        buffer: new Float32Array(round((l + spread) * scale)),
        pos: 0,
        store: 0,
      })),
    );
    this.allpasses = [0, 23].map((spread) =>
      allpassLengths.map((l) => ({
        buffer: new Float32Array(round((l + spread) * scale)),
        pos: 0,
      })),
    );
  }

  /** Adds the reverberated sends into left and right, scaled by `mix`. */
  process(
    sendLeft: Float32Array,
    sendRight: Float32Array,
    left: Float32Array,
    right: Float32Array,
    count: number,
    mix: number,
  ): void {
    const damp = 0.3;
    const sides: [Float32Array, Float32Array][] = [
      [sendLeft, left],
      [sendRight, right],
    ];
    sides.forEach(([input, output], side) => {
      const combs = this.combs[side] as { buffer: Float32Array; pos: number; store: number }[];
      const allpasses = this.allpasses[side] as { buffer: Float32Array; pos: number }[];
      for (let i = 0; i < count; i += 1) {
        const x = (input[i] as number) * 0.05;
        let acc = 0;
        for (const comb of combs) {
          const y = comb.buffer[comb.pos] as number;
          comb.store = y * (1 - damp) + comb.store * damp;
          comb.buffer[comb.pos] = x + comb.store * this.feedback;
          comb.pos = comb.pos + 1 === comb.buffer.length ? 0 : comb.pos + 1;
          acc += y;
        }
        for (const ap of allpasses) {
          const b = ap.buffer[ap.pos] as number;
          ap.buffer[ap.pos] = acc + b * 0.5;
          acc = b - acc;
          ap.pos = ap.pos + 1 === ap.buffer.length ? 0 : ap.pos + 1;
        }
        output[i] = (output[i] as number) + acc * mix * 2.2;
      }
    });
  }
}
