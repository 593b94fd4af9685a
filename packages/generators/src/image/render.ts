import { combineSeeds, mix32, Random } from '../media/random.ts';
import type { ImageFeatures, Motif, Rgb } from './features.ts';

// Math's members as module bindings: in a vm context (Jest's test environment) every
// global lookup inside a hot loop is slow, and elsewhere this costs nothing.
const { abs, ceil, cos, exp, floor, hypot, imul, max, min, round, sin, sqrt, PI } = Math;

/**
 * The procedural renderer: a background gradient, then layers (discs, rings, boxes,
 * ridgelines for hills, mountains, waves, dunes, trees and skylines, stripes) blended with
 * anti-aliased edges, then a vignette. Geometry is laid out in units of the image's shorter
 * side, so every size shows the same composition. Rows are rendered independently, so the
 * caller can render a band of rows, yield to the event loop, and go on.
 */

type Layer =
  | { kind: 'disc'; cx: number; cy: number; r: number; color: Rgb; alpha: number; glow: number }
  | { kind: 'ring'; cx: number; cy: number; r: number; width: number; color: Rgb; alpha: number }
  | {
      kind: 'box';
      cx: number;
      cy: number;
      hw: number;
      hh: number;
      cos: number;
      sin: number;
      radius: number;
      reach: number;
      color: Rgb;
      alpha: number;
    }
  | {
      kind: 'ridge';
      /** Top edge (y in pixels) for each column. */
      top: Float32Array;
      minTop: number;
      color: Rgb;
      /** Colour at the image's bottom edge; the ridge fades to it. */
      foot: Rgb;
      alpha: number;
      /** Lit windows (a skyline). */
      windows?: { color: Rgb; seed: number; cell: number };
    }
  | {
      kind: 'stripes';
      nx: number;
      ny: number;
      period: number;
      duty: number;
      offset: number;
      color: Rgb;
      alpha: number;
    };

export interface Scene {
  width: number;
  height: number;
  /** 256 background colours along the gradient, RGB interleaved, 0–1. */
  lut: Float32Array;
  gradient: ImageFeatures['gradient'];
  layers: Layer[];
  vignette: number;
  /** What was drawn, for metadata.json. */
  drawn: Record<string, number>;
}

const LUT_SIZE = 256;

function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function shade(c: Rgb, factor: number): Rgb {
  return [c[0] * factor, c[1] * factor, c[2] * factor];
}

function lighten(c: Rgb, t: number): Rgb {
  return mixRgb(c, [1, 1, 1], t);
}

/** Lays out one image: the same features, seed and size always give the same scene. */
export function buildScene(
  features: ImageFeatures,
  width: number,
  height: number,
  seed: number,
): Scene {
  const rng = new Random(combineSeeds(seed, 0x5ce7e));
  const unit = min(width, height);
  const layers: Layer[] = [];
  const drawn: Record<string, number> = {};
  const count = (what: string, n = 1) => {
    drawn[what] = (drawn[what] ?? 0) + n;
  };
  const accent = () => rng.pick(features.accents);
  const bgBottom = features.background.at(-1) as Rgb;

  const lut = new Float32Array(LUT_SIZE * 3);
  const stops = features.background;
  for (let i = 0; i < LUT_SIZE; i += 1) {
    const t = (i / (LUT_SIZE - 1)) * (stops.length - 1);
    const k = min(stops.length - 2, floor(t));
    const c = mixRgb(stops[k] as Rgb, stops[k + 1] as Rgb, smooth(t - k));
    lut.set(c, i * 3);
  }

  const motifs = new Set<Motif>(features.motifs);
  const horizon = height * rng.range(0.55, 0.72);

  // Sky objects first, then the land from far to near, then free shapes.
  if (motifs.has('stars')) {
    const n = round(((width * height) / (unit * unit)) * rng.range(60, 140));
    for (let i = 0; i < n; i += 1) {
      layers.push({
        kind: 'disc',
        cx: rng.next() * width,
        cy: rng.next() * (motifs.has('planet') ? height : horizon),
        r: unit * rng.range(0.0012, 0.004),
        color: lighten(accent(), 0.75),
        alpha: rng.range(0.5, 1),
        glow: unit * 0.004,
      });
    }
    count('stars', n);
  }
  if (motifs.has('sun') || motifs.has('moon')) {
    const moon = motifs.has('moon');
    const color: Rgb = moon ? [0.94, 0.93, 0.86] : lighten(features.accents[0] as Rgb, 0.35);
    layers.push({
      kind: 'disc',
      cx: width * rng.range(0.25, 0.75),
      cy: horizon - unit * rng.range(0.12, 0.3),
      r: unit * (moon ? rng.range(0.06, 0.1) : rng.range(0.1, 0.17)),
      color,
      alpha: 1,
      glow: unit * (moon ? 0.05 : 0.12),
    });
    count(moon ? 'moon' : 'sun');
  }
  if (motifs.has('planet')) {
    const cx = width * rng.range(0.2, 0.8);
    const cy = height * rng.range(0.25, 0.6);
    const r = unit * rng.range(0.14, 0.26);
    const color = accent();
    layers.push({ kind: 'disc', cx, cy, r, color, alpha: 1, glow: unit * 0.03 });
    layers.push({
      kind: 'disc',
      cx: cx + r * 0.25,
      cy: cy - r * 0.2,
      r: r * 0.85,
      color: lighten(color, 0.25),
      alpha: 0.35,
      glow: 0,
    });
    layers.push({
      kind: 'ring',
      cx,
      cy,
      r: r * 1.45,
      width: r * 0.1,
      color: lighten(color, 0.4),
      alpha: 0.7,
    });
    count('planet');
  }
  if (motifs.has('mountains')) {
    const ranges = 2 + rng.int(2);
    for (let i = 0; i < ranges; i += 1) {
      const depth = (i + 1) / ranges;
      const base = horizon + unit * 0.04 * i;
      const color = mixRgb(
        bgBottom,
        shade(accent(), 0.55 + 0.2 * (1 - depth)),
        0.35 + 0.55 * depth,
      );
      const phase = rng.next();
      layers.push(
        ridge(width, height, color, shade(color, 0.7), 1, (x) => {
          const peaks = mountainProfile(x / unit, phase, i);
          return base - unit * (0.12 + 0.1 * (1 - depth)) * peaks;
        }),
      );
    }
    count('mountain ranges', ranges);
  }
  if (motifs.has('hills')) {
    const n = 2 + rng.int(2);
    for (let i = 0; i < n; i += 1) {
      const color = mixRgb(shade(accent(), 0.8), bgBottom, 0.25 * (n - 1 - i));
      const phase = rng.range(0, PI * 2);
      const freq = rng.range(1.2, 2.6);
      const base = horizon + unit * 0.06 * i;
      layers.push(
        ridge(width, height, color, shade(color, 0.75), 1, (x) => {
          const u = x / unit;
          return (
            base - unit * 0.06 * (sin(u * freq + phase) + 0.5 * sin(u * freq * 2.3 + phase * 1.7))
          );
        }),
      );
    }
    count('hills', n);
  }
  if (motifs.has('dunes')) {
    const n = 3;
    for (let i = 0; i < n; i += 1) {
      const color = mixRgb(
        lighten(features.accents[0] as Rgb, 0.2),
        shade(features.accents[0] as Rgb, 0.6),
        i / n,
      );
      const phase = rng.range(0, PI * 2);
      const base = horizon + unit * 0.08 * i;
      layers.push(
        ridge(width, height, color, shade(color, 0.8), 1, (x) => {
          const u = x / unit;
          // Dunes: a steep face on one side of each crest.
          const s = (u * 1.6 + phase) % 1;
          return base - unit * 0.07 * (s < 0.7 ? s / 0.7 : (1 - s) / 0.3);
        }),
      );
    }
    count('dunes', n);
  }
  if (motifs.has('waves')) {
    const n = 3 + rng.int(2);
    const sea = features.accents[0] as Rgb;
    for (let i = 0; i < n; i += 1) {
      const color = mixRgb(lighten(sea, 0.15), shade(sea, 0.55), i / n);
      const freq = rng.range(6, 12);
      const phase = rng.range(0, PI * 2);
      const base = horizon + (height - horizon) * (i / n) * 0.8;
      layers.push(
        ridge(width, height, color, shade(color, 0.8), 0.92, (x) => {
          const u = x / unit;
          return base - unit * 0.015 * (sin(u * freq + phase) + 0.4 * sin(u * freq * 2.7 + phase));
        }),
      );
    }
    count('waves', n);
  }
  if (motifs.has('trees')) {
    const rows = 2;
    for (let i = 0; i < rows; i += 1) {
      const color = mixRgb(shade(accent(), 0.4), [0.03, 0.06, 0.04], 0.3 + 0.3 * i);
      const base = horizon + unit * (0.05 + 0.08 * i);
      const spacing = unit * rng.range(0.035, 0.06);
      const trees: { x: number; h: number; w: number }[] = [];
      for (let x = -spacing; x < width + spacing; x += spacing * rng.range(0.6, 1.3)) {
        trees.push({
          x,
          h: unit * rng.range(0.08, 0.2) * (1 + i * 0.3),
          w: spacing * rng.range(0.5, 0.8),
        });
      }
      layers.push(
        ridge(width, height, color, shade(color, 0.6), 1, (x) => {
          let top = base;
          for (const tree of trees) {
            const d = abs(x - tree.x);
            if (d < tree.w) top = min(top, base - tree.h * (1 - d / tree.w));
          }
          return top;
        }),
      );
      count('trees', trees.length);
    }
  }
  if (motifs.has('skyline')) {
    const color = mixRgb(shade(bgBottom, 0.35), shade(accent(), 0.3), 0.4);
    const base = horizon + unit * 0.1;
    const buildings: { x0: number; x1: number; top: number }[] = [];
    for (let x = 0; x < width;) {
      const w = unit * rng.range(0.04, 0.1);
      buildings.push({ x0: x, x1: x + w, top: base - unit * rng.range(0.08, 0.35) });
      x += w + unit * rng.range(0, 0.012);
    }
    layers.push({
      ...ridge(width, height, color, shade(color, 0.6), 1, (x) => {
        const b = buildings.find((building) => x >= building.x0 && x < building.x1);
        return b ? b.top : base;
      }),
      windows: {
        color: lighten(accent(), 0.55),
        seed: rng.uint32(),
        cell: max(3, round(unit * 0.012)),
      },
    });
    count('buildings', buildings.length);
  }
  if (motifs.has('grid')) {
    const cells = 4 + rng.int(5);
    const size = unit / cells;
    const gridColor = accent();
    let n = 0;
    for (let gy = 0; gy * size < height; gy += 1) {
      for (let gx = 0; gx * size < width; gx += 1) {
        if (!rng.chance(0.45)) continue;
        layers.push(
          box(
            gx * size + size / 2,
            gy * size + size / 2,
            size * 0.4,
            size * 0.4,
            0,
            size * 0.08,
            rng.chance(0.5) ? gridColor : accent(),
            rng.range(0.25, 0.6),
          ),
        );
        n += 1;
      }
    }
    count('tiles', n);
  }
  if (motifs.has('stripes')) {
    const angle = rng.range(0, PI);
    layers.push({
      kind: 'stripes',
      nx: cos(angle),
      ny: sin(angle),
      period: unit * rng.range(0.05, 0.14),
      duty: rng.range(0.25, 0.55),
      offset: rng.next(),
      color: accent(),
      alpha: rng.range(0.2, 0.45),
    });
    count('stripes');
  }
  if (motifs.has('circles')) {
    const n = 5 + rng.int(8);
    for (let i = 0; i < n; i += 1) {
      layers.push({
        kind: 'disc',
        cx: rng.next() * width,
        cy: rng.next() * height,
        r: unit * rng.range(0.03, 0.16),
        color: accent(),
        alpha: rng.range(0.35, 0.85),
        glow: 0,
      });
    }
    count('circles', n);
  }
  if (motifs.has('rings')) {
    const cx = width * rng.range(0.3, 0.7);
    const cy = height * rng.range(0.3, 0.7);
    const n = 3 + rng.int(5);
    for (let i = 0; i < n; i += 1) {
      layers.push({
        kind: 'ring',
        cx: cx + unit * rng.range(-0.05, 0.05),
        cy: cy + unit * rng.range(-0.05, 0.05),
        r: unit * (0.06 + 0.07 * i),
        width: unit * rng.range(0.008, 0.03),
        color: accent(),
        alpha: rng.range(0.4, 0.9),
      });
    }
    count('rings', n);
  }
  for (let i = 0; i < features.shapes; i += 1) {
    const kind = rng.int(3);
    const cx = rng.next() * width;
    const cy = rng.next() * height * (motifs.size > 1 ? 0.6 : 1);
    const color = accent();
    const alpha = rng.range(0.15, 0.5);
    if (kind === 0) {
      layers.push({ kind: 'disc', cx, cy, r: unit * rng.range(0.02, 0.12), color, alpha, glow: 0 });
    } else if (kind === 1) {
      layers.push({
        kind: 'ring',
        cx,
        cy,
        r: unit * rng.range(0.04, 0.14),
        width: unit * rng.range(0.004, 0.02),
        color,
        alpha,
      });
    } else {
      const angle = rng.range(0, PI);
      layers.push(
        box(
          cx,
          cy,
          unit * rng.range(0.02, 0.12),
          unit * rng.range(0.01, 0.06),
          angle,
          unit * 0.01,
          color,
          alpha,
        ),
      );
    }
  }
  if (features.shapes > 0) count('shapes', features.shapes);

  return {
    width,
    height,
    lut,
    gradient: features.gradient,
    layers,
    vignette: features.vignette,
    drawn,
  };
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

function box(
  cx: number,
  cy: number,
  hw: number,
  hh: number,
  angle: number,
  radius: number,
  color: Rgb,
  alpha: number,
): Layer {
  return {
    kind: 'box',
    cx,
    cy,
    hw,
    hh,
    cos: cos(angle),
    sin: sin(angle),
    radius,
    reach: hypot(hw, hh) + radius + 1,
    color,
    alpha,
  };
}

function ridge(
  width: number,
  height: number,
  color: Rgb,
  foot: Rgb,
  alpha: number,
  topAt: (x: number) => number,
): Extract<Layer, { kind: 'ridge' }> {
  const top = new Float32Array(width);
  let minTop = height;
  for (let x = 0; x < width; x += 1) {
    const y = topAt(x + 0.5);
    top[x] = y;
    if (y < minTop) minTop = y;
  }
  return { kind: 'ridge', top, minTop: max(0, floor(minTop) - 1), color, foot, alpha };
}

/** A jagged mountain range: layered triangle waves, shifted by `phase` (0–1) and the range. */
function mountainProfile(u: number, phase: number, range: number): number {
  let value = 0;
  let amplitude = 1;
  let frequency = 1.3 + range * 0.7;
  for (let octave = 0; octave < 4; octave += 1) {
    const s = (u * frequency + phase + range * 0.37 + octave * 0.61) % 1;
    value += amplitude * (1 - abs(2 * s - 1));
    amplitude *= 0.45;
    frequency *= 2.1;
  }
  return value / 1.7;
}

/**
 * Renders rows [y0, y1) into `rgba` (width × height × 4 bytes), opaque. A pure function of
 * the scene and the row: bands can be rendered in any order.
 */
export function renderRows(scene: Scene, rgba: Uint8Array, y0: number, y1: number): void {
  const { width, height, lut, layers } = scene;
  const row = new Float32Array(width * 3);
  const cxImg = width / 2;
  const cyImg = height / 2;
  const gradient = scene.gradient;
  const lin =
    gradient.kind === 'linear'
      ? {
          dx: cos(gradient.angle),
          dy: sin(gradient.angle),
          span: abs(cos(gradient.angle)) * width + abs(sin(gradient.angle)) * height,
        }
      : undefined;
  const radial =
    gradient.kind === 'radial'
      ? { cx: gradient.cx * width, cy: gradient.cy * height, span: hypot(width, height) * 0.75 }
      : undefined;

  for (let y = y0; y < y1; y += 1) {
    const py = y + 0.5;
    // Background.
    for (let x = 0; x < width; x += 1) {
      const px = x + 0.5;
      let t: number;
      if (lin) t = ((px - cxImg) * lin.dx + (py - cyImg) * lin.dy) / lin.span + 0.5;
      else {
        const r = radial as { cx: number; cy: number; span: number };
        const ex = px - r.cx;
        const ey = py - r.cy;
        t = sqrt(ex * ex + ey * ey) / r.span;
      }
      const i = (t <= 0 ? 0 : t >= 1 ? LUT_SIZE - 1 : floor(t * (LUT_SIZE - 1))) * 3;
      const o = x * 3;
      row[o] = lut[i] as number;
      row[o + 1] = lut[i + 1] as number;
      row[o + 2] = lut[i + 2] as number;
    }

    for (const layer of layers) {
      switch (layer.kind) {
        case 'disc': {
          const reach = layer.r + 1 + layer.glow * 3;
          const dy = py - layer.cy;
          if (abs(dy) > reach) break;
          const half = sqrt(reach * reach - dy * dy);
          const xa = max(0, floor(layer.cx - half));
          const xb = min(width, ceil(layer.cx + half));
          for (let x = xa; x < xb; x += 1) {
            const dx = x + 0.5 - layer.cx;
            const d = sqrt(dx * dx + dy * dy) - layer.r;
            let a = d <= -0.5 ? 1 : d >= 0.5 ? 0 : 0.5 - d;
            if (layer.glow > 0 && d > 0) a = max(a, 0.55 * exp(-d / layer.glow));
            blend(row, x * 3, layer.color, a * layer.alpha);
          }
          break;
        }
        case 'ring': {
          const reach = layer.r + layer.width + 1;
          const dy = py - layer.cy;
          if (abs(dy) > reach) break;
          const half = sqrt(reach * reach - dy * dy);
          const xa = max(0, floor(layer.cx - half));
          const xb = min(width, ceil(layer.cx + half));
          for (let x = xa; x < xb; x += 1) {
            const dx = x + 0.5 - layer.cx;
            const d = abs(sqrt(dx * dx + dy * dy) - layer.r) - layer.width / 2;
            if (d >= 0.5) continue;
            blend(row, x * 3, layer.color, (d <= -0.5 ? 1 : 0.5 - d) * layer.alpha);
          }
          break;
        }
        case 'box': {
          const dy = py - layer.cy;
          if (abs(dy) > layer.reach) break;
          const xa = max(0, floor(layer.cx - layer.reach));
          const xb = min(width, ceil(layer.cx + layer.reach));
          for (let x = xa; x < xb; x += 1) {
            const dx = x + 0.5 - layer.cx;
            const lx = abs(dx * layer.cos + dy * layer.sin) - layer.hw + layer.radius;
            const ly = abs(-dx * layer.sin + dy * layer.cos) - layer.hh + layer.radius;
            const ox = lx > 0 ? lx : 0;
            const oy = ly > 0 ? ly : 0;
            const outside = sqrt(ox * ox + oy * oy);
            const d = outside + min(max(lx, ly), 0) - layer.radius;
            if (d >= 0.5) continue;
            blend(row, x * 3, layer.color, (d <= -0.5 ? 1 : 0.5 - d) * layer.alpha);
          }
          break;
        }
        case 'ridge': {
          if (py < layer.minTop) break;
          const depth = min(1, (py - layer.minTop) / max(1, height - layer.minTop));
          const color = mixRgb(layer.color, layer.foot, depth);
          for (let x = 0; x < width; x += 1) {
            const cover = py + 0.5 - (layer.top[x] as number);
            if (cover <= 0) continue;
            let c = color;
            const w = layer.windows;
            if (w && cover > 2) {
              const cx = floor(x / w.cell);
              const cy = floor(y / w.cell);
              const inCell = x % w.cell < w.cell / 2 && y % w.cell < w.cell / 2;
              if (inCell && windowLit(w.seed, cx, cy)) c = w.color;
            }
            blend(row, x * 3, c, (cover >= 1 ? 1 : cover) * layer.alpha);
          }
          break;
        }
        case 'stripes': {
          for (let x = 0; x < width; x += 1) {
            const s = ((x + 0.5) * layer.nx + py * layer.ny) / layer.period + layer.offset;
            const f = s - floor(s);
            const edge = min(f, layer.duty - f) * layer.period;
            if (f > layer.duty || edge < -0.5) continue;
            blend(row, x * 3, layer.color, (edge >= 0.5 ? 1 : edge + 0.5) * layer.alpha);
          }
          break;
        }
      }
    }

    // Vignette, then out to bytes.
    const vy = (py - cyImg) / cyImg;
    const out = y * width * 4;
    for (let x = 0; x < width; x += 1) {
      const vx = (x + 0.5 - cxImg) / cxImg;
      const v = 1 - scene.vignette * 0.5 * (vx * vx + vy * vy);
      const o = x * 3;
      const p = out + x * 4;
      rgba[p] = toByte((row[o] as number) * v);
      rgba[p + 1] = toByte((row[o + 1] as number) * v);
      rgba[p + 2] = toByte((row[o + 2] as number) * v);
      rgba[p + 3] = 255;
    }
  }
}

/** About one window in five is lit, the same ones at every size of band. */
function windowLit(seed: number, cx: number, cy: number): boolean {
  return mix32(imul(cx, 0x9e3779b1) ^ imul(cy + 0x632be5ab, 0x85ebca77) ^ seed) % 100 < 22;
}

function blend(row: Float32Array, o: number, color: Rgb, a: number): void {
  if (a <= 0) return;
  const b = 1 - a;
  row[o] = (row[o] as number) * b + color[0] * a;
  row[o + 1] = (row[o + 1] as number) * b + color[1] * a;
  row[o + 2] = (row[o + 2] as number) * b + color[2] * a;
}

function toByte(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 255 : round(v * 255);
}
