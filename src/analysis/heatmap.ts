/**
 * A loss landscape as a PNG (the paper's Fig. 2 draws contour lines; here a heat map with contour
 * lines over it, and a colour bar): the grid is interpolated bilinearly to the plot's pixels,
 * coloured by a perceptual colour map (viridis: dark is low loss), and a pixel lies on a contour
 * line where its level differs from its right or lower neighbour's. The colour scale is
 * logarithmic by default, because the loss spans orders of magnitude between the trained weights
 * and the grid's corners.
 */
import type { RgbImage } from '../data/image';
import { writePng } from '../data/files';
import { Canvas, type Rgb, tickLabel } from '../train/plot';
import { GLYPH_HEIGHT, textWidth } from '../train/font';

/** Samples of matplotlib's viridis colour map at 0, 1/8, ..., 1. */
const VIRIDIS: readonly Rgb[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** The colour of `t` in [0, 1] (clamped), linear between the samples. */
export function viridis(t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export interface HeatmapOptions {
  title: string;
  /** The coordinates of the grid along each axis (x for columns, y for rows). */
  coordinates: ArrayLike<number>;
  /** Colour by log10 of the value (default true); values must then be positive. */
  logScale?: boolean;
  /** The values at the two ends of the colour bar (default: the grid's minimum and maximum). */
  colorRange?: readonly [number, number];
  /** Contour levels, evenly spaced on the colour scale between its ends (default 12). */
  levels?: number;
}

const PLOT = 400;
const LEFT = 56;
const TOP = 34;
const BOTTOM = 44;
const BAR_GAP = 18;
const BAR_W = 18;
const RIGHT = 78;
const INK: Rgb = [40, 40, 40];
const TEXT_SCALE = 2;

/** The grid value at fractional grid position (u along columns, v along rows), bilinearly. */
function bilinear(values: ArrayLike<number>, n: number, u: number, v: number): number {
  const i = Math.min(n - 2, Math.floor(u));
  const j = Math.min(n - 2, Math.floor(v));
  const fu = u - i;
  const fv = v - j;
  const at = (r: number, c: number): number => values[r * n + c];
  return (at(j, i) * (1 - fu) + at(j, i + 1) * fu) * (1 - fv) + (at(j + 1, i) * (1 - fu) + at(j + 1, i + 1) * fu) * fv;
}

function blend(c: Rgb, toward: Rgb, f: number): Rgb {
  return [Math.round(c[0] + (toward[0] - c[0]) * f), Math.round(c[1] + (toward[1] - c[1]) * f), Math.round(c[2] + (toward[2] - c[2]) * f)];
}

/** How values map to [0, 1] on the colour bar (and to height in the surface view, analysis/surface.ts). */
export interface ColorScale {
  unit: (v: number) => number;
  log: boolean;
  /** The ends of the bar on the scale (log10 of the values when `log`). */
  t0: number;
  t1: number;
}

/** The colour scale of a grid: log10 or linear, from the given range or the grid's extremes. */
export function colorScale(values: ArrayLike<number>, o: Pick<HeatmapOptions, 'logScale' | 'colorRange'>): ColorScale {
  const log = o.logScale ?? true;
  const scale = (v: number): number => (log ? Math.log10(v) : v);
  const finite = Array.from(values).filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finite.length === 0) throw new Error(`colour scale: no finite${log ? ' positive' : ''} value to draw`);
  const [lo, hi] = o.colorRange ?? [Math.min(...finite), Math.max(...finite)];
  if (!(hi > lo) || (log && !(lo > 0))) throw new Error(`colour scale: the colour range must rise${log ? ' and be positive on a log scale' : ''}, got ${lo} to ${hi}`);
  const [t0, t1] = [scale(lo), scale(hi)];
  return { unit: (v) => (scale(v) - t0) / (t1 - t0), log, t0, t1 };
}

/** Draws a square grid of values ([n, n] row-major, row j at y = coordinates[j]) as a heat map. */
export function renderHeatmap(values: ArrayLike<number>, o: HeatmapOptions): RgbImage {
  const n = o.coordinates.length;
  if (n < 2 || values.length !== n * n) throw new Error(`renderHeatmap: expected ${n}x${n} values for ${n} coordinates, got ${values.length}`);
  const { unit, log, t0, t1 } = colorScale(values, o);
  const levels = o.levels ?? 12;
  const level = (v: number): number => Math.floor(Math.min(1 - 1e-9, Math.max(0, unit(v))) * levels);

  const width = LEFT + PLOT + BAR_GAP + BAR_W + RIGHT;
  const height = TOP + PLOT + BOTTOM;
  const cv = new Canvas(width, height);
  // Values per pixel: (px, py) with y up, so row 0 of the grid is the plot's bottom edge.
  const field = new Float64Array(PLOT * PLOT);
  for (let py = 0; py < PLOT; py++) {
    const v = ((PLOT - 1 - py) * (n - 1)) / (PLOT - 1);
    for (let px = 0; px < PLOT; px++) field[py * PLOT + px] = bilinear(values, n, (px * (n - 1)) / (PLOT - 1), v);
  }
  for (let py = 0; py < PLOT; py++) {
    for (let px = 0; px < PLOT; px++) {
      const v = field[py * PLOT + px];
      const q = level(v);
      const onLine = (px + 1 < PLOT && level(field[py * PLOT + px + 1]) !== q) || (py + 1 < PLOT && level(field[(py + 1) * PLOT + px]) !== q);
      const c = viridis(unit(v));
      cv.set(LEFT + px, TOP + py, onLine ? blend(c, [255, 255, 255], 0.75) : c);
    }
  }
  // The trained weights, (0, 0).
  const x0 = o.coordinates[0];
  const x1 = o.coordinates[n - 1];
  const px = (x: number): number => LEFT + ((x - x0) / (x1 - x0)) * (PLOT - 1);
  const py = (y: number): number => TOP + PLOT - 1 - ((y - x0) / (x1 - x0)) * (PLOT - 1);
  if (x0 <= 0 && x1 >= 0) {
    cv.line(px(0) - 5, py(0), px(0) + 5, py(0), [220, 30, 30], 2);
    cv.line(px(0), py(0) - 5, px(0), py(0) + 5, [220, 30, 30], 1);
    cv.line(px(0) + 1, py(0) - 5, px(0) + 1, py(0) + 5, [220, 30, 30], 1);
  }
  // Frame and axes: ticks at the ends, the quarters and the centre.
  cv.line(LEFT - 1, TOP - 1, LEFT + PLOT, TOP - 1, INK);
  cv.line(LEFT - 1, TOP + PLOT, LEFT + PLOT, TOP + PLOT, INK);
  cv.line(LEFT - 1, TOP - 1, LEFT - 1, TOP + PLOT, INK);
  cv.line(LEFT + PLOT, TOP - 1, LEFT + PLOT, TOP + PLOT, INK);
  for (let k = 0; k <= 4; k++) {
    const c = x0 + ((x1 - x0) * k) / 4;
    const label = tickLabel(Number(c.toPrecision(3)), false);
    cv.line(px(c), TOP + PLOT, px(c), TOP + PLOT + 4, INK);
    cv.text(label, px(c) - textWidth(label, TEXT_SCALE) / 2, TOP + PLOT + 8, INK);
    cv.line(LEFT - 5, py(c), LEFT - 1, py(c), INK);
    cv.text(label, LEFT - 8 - textWidth(label, TEXT_SCALE), py(c) - GLYPH_HEIGHT, INK);
  }
  cv.text('direction x', LEFT + (PLOT - textWidth('direction x', TEXT_SCALE)) / 2, TOP + PLOT + 26, INK);
  cv.text('y', 8, TOP + PLOT / 2 - GLYPH_HEIGHT, INK);
  cv.text(o.title, LEFT + (PLOT - textWidth(o.title, TEXT_SCALE)) / 2, 10, [0, 0, 0]);
  // The colour bar, low at the bottom, with the contour levels marked across it.
  const bx = LEFT + PLOT + BAR_GAP;
  for (let y = 0; y < PLOT; y++) {
    const f = (PLOT - 1 - y) / (PLOT - 1);
    const onLine = Math.floor(Math.min(1 - 1e-9, f) * levels) !== Math.floor(Math.min(1 - 1e-9, f + 1 / (PLOT - 1)) * levels) && y > 0;
    const c = viridis(f);
    for (let x = 0; x < BAR_W; x++) cv.set(bx + x, TOP + y, onLine ? blend(c, [255, 255, 255], 0.75) : c);
  }
  for (let k = 0; k <= 4; k++) {
    const f = k / 4;
    const y = TOP + PLOT - 1 - f * (PLOT - 1);
    const t = t0 + (t1 - t0) * f;
    const label = tickLabel(Number((log ? 10 ** t : t).toPrecision(3)), false);
    cv.line(bx + BAR_W - 5, y, bx + BAR_W - 1, y, INK);
    cv.text(label, bx + BAR_W + 6, y - GLYPH_HEIGHT, INK);
  }
  cv.text(log ? 'loss (log)' : 'loss', bx - 4, TOP + PLOT + 26, INK);
  return cv.img;
}

export function writeHeatmap(path: string, values: ArrayLike<number>, o: HeatmapOptions): void {
  writePng(path, renderHeatmap(values, o));
}
