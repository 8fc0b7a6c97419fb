/**
 * Training curves as a PNG, like the paper's Fig. 8: a grid of small line charts (loss,
 * accuracy, learning rate, temperature per epoch), drawn with our own few primitives on an RGB
 * canvas and encoded with fast-png.
 */
import { createImage, type RgbImage } from '../data/image';
import { writePng } from '../data/files';
import { drawText, GLYPH_HEIGHT, textWidth } from './font';

export type Rgb = readonly [number, number, number];

export interface Series {
  label: string;
  color: Rgb;
  /** y per x; NaN leaves a gap. */
  points: readonly (readonly [number, number])[];
}

export interface Chart {
  title: string;
  series: Series[];
  /** Plot y on a log10 axis (learning rate, temperature). */
  logY?: boolean;
}

const PANEL_W = 360;
const PANEL_H = 240;
const MARGIN = { left: 60, right: 12, top: 22, bottom: 26 };
const TEXT = 2;
const AXIS: Rgb = [90, 90, 90];

/** An RGB canvas on white with the few drawing primitives our figures need (also the loss landscapes', analysis/heatmap.ts). */
export class Canvas {
  readonly img: RgbImage;
  constructor(readonly width: number, readonly height: number) {
    this.img = createImage(width, height);
    this.img.data.fill(255);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const o = (yi * this.width + xi) * 3;
    this.img.data[o] = c[0];
    this.img.data[o + 1] = c[1];
    this.img.data[o + 2] = c[2];
  }

  /** A line with a little thickness, by stepping along its longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thick = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      for (let t = 0; t < thick; t++) this.set(x, y + t, c);
    }
  }

  text(s: string, x: number, y: number, c: Rgb): void {
    drawText(s, Math.round(x), Math.round(y), TEXT, (px, py) => this.set(px, py, c));
  }
}

/** A tick label: on a log10 axis `v` is the exponent. */
export function tickLabel(v: number, log: boolean): string {
  // On a log axis, a whole decade prints as 1eN; ticks between decades keep one digit of mantissa.
  if (log) return Math.abs(v - Math.round(v)) < 1e-9 ? `1e${Math.round(v)}` : (10 ** v).toExponential(1).replace('+', '');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-2 || a >= 1e4)) return v.toExponential(0).replace('+', '');
  return String(Number(v.toPrecision(3)));
}

function drawChart(cv: Canvas, chart: Chart, ox: number, oy: number): void {
  const x0 = ox + MARGIN.left;
  const x1 = ox + PANEL_W - MARGIN.right;
  const y0 = oy + MARGIN.top;
  const y1 = oy + PANEL_H - MARGIN.bottom;
  cv.text(chart.title, ox + (PANEL_W - textWidth(chart.title, TEXT)) / 2, oy + 6, [0, 0, 0]);
  const ty = (v: number): number => (chart.logY ? Math.log10(Math.max(v, 1e-30)) : v);
  const pts = chart.series.flatMap((s) => s.points.filter(([, v]) => Number.isFinite(v)));
  if (pts.length === 0) return;
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, v]) => ty(v));
  let [xmin, xmax] = [Math.min(...xs), Math.max(...xs)];
  let [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
  if (xmax === xmin) xmax = xmin + 1;
  if (ymax === ymin) [ymin, ymax] = [ymin - 0.5, ymax + 0.5];
  const pad = (ymax - ymin) * 0.05;
  ymin -= pad;
  ymax += pad;
  const px = (x: number): number => x0 + ((x - xmin) / (xmax - xmin)) * (x1 - x0);
  const py = (y: number): number => y1 - ((y - ymin) / (ymax - ymin)) * (y1 - y0);
  cv.line(x0, y0, x0, y1, AXIS);
  cv.line(x0, y1, x1, y1, AXIS);
  for (let i = 0; i <= 4; i++) {
    const v = ymin + ((ymax - ymin) * i) / 4;
    const label = tickLabel(v, chart.logY ?? false);
    cv.line(x0 - 3, py(v), x0, py(v), AXIS);
    cv.text(label, x0 - 5 - textWidth(label, TEXT), py(v) - GLYPH_HEIGHT, AXIS);
  }
  for (let i = 0; i <= 4; i++) {
    const v = xmin + ((xmax - xmin) * i) / 4;
    const label = tickLabel(Number(v.toFixed(1)), false);
    cv.line(px(v), y1, px(v), y1 + 3, AXIS);
    cv.text(label, px(v) - textWidth(label, TEXT) / 2, y1 + 6, AXIS);
  }
  let legendX = x0 + 6;
  for (const s of chart.series) {
    let prev: [number, number] | null = null;
    for (const [x, v] of s.points) {
      if (!Number.isFinite(v)) {
        prev = null;
        continue;
      }
      const p: [number, number] = [px(x), py(ty(v))];
      if (prev) cv.line(prev[0], prev[1], p[0], p[1], s.color, 2);
      else cv.line(p[0] - 1, p[1], p[0] + 1, p[1], s.color, 2);
      prev = p;
    }
    cv.line(legendX, y0 + 4, legendX + 10, y0 + 4, s.color, 2);
    cv.text(s.label, legendX + 14, y0, s.color);
    legendX += 24 + textWidth(s.label, TEXT);
  }
}

/** Draws the charts in a grid with `columns` panels per row. */
export function renderCharts(charts: Chart[], columns = 2): RgbImage {
  const rows = Math.ceil(charts.length / columns);
  const cv = new Canvas(PANEL_W * Math.min(columns, charts.length), PANEL_H * rows);
  charts.forEach((c, i) => drawChart(cv, c, (i % columns) * PANEL_W, Math.floor(i / columns) * PANEL_H));
  return cv.img;
}

export function writeCharts(path: string, charts: Chart[], columns = 2): void {
  writePng(path, renderCharts(charts, columns));
}
