/**
 * A loss landscape in 3-D (the paper's Fig. 6 and Fig. 1b draw the surfaces whose contour lines
 * are Fig. 2): the grid as a surface seen from above at an angle, its height the value on the
 * colour scale of the heat map (analysis/heatmap.ts; log10 of the loss by default), each cell
 * filled with the colour of its mean height and outlined, cells painted from the farthest to the
 * nearest so nearer ones hide what is behind them (the painter's algorithm).
 */
import type { RgbImage } from '../data/image';
import { writePng } from '../data/files';
import { Canvas, type Rgb } from '../train/plot';
import { textWidth } from '../train/font';
import { colorScale, type HeatmapOptions, viridis } from './heatmap';

const WIDTH = 560;
const HEIGHT = 500;
/** The view: turned 45 degrees about the vertical, looking down 50 degrees (into the valley). */
const AZIMUTH = Math.PI / 4;
const ELEVATION = (50 * Math.PI) / 180;
/** Half the side of the base square in pixels, and the height of the top of the scale. */
const SIDE = 150;
const RISE = 170;

function darker(c: Rgb, f: number): Rgb {
  return [Math.round(c[0] * f), Math.round(c[1] * f), Math.round(c[2] * f)];
}

/** Fills the triangle (a, b, c) of screen points: every pixel centre inside it (edges included). */
function fillTriangle(cv: Canvas, a: readonly [number, number], b: readonly [number, number], c: readonly [number, number], color: Rgb): void {
  const minX = Math.max(0, Math.floor(Math.min(a[0], b[0], c[0])));
  const maxX = Math.min(cv.width - 1, Math.ceil(Math.max(a[0], b[0], c[0])));
  const minY = Math.max(0, Math.floor(Math.min(a[1], b[1], c[1])));
  const maxY = Math.min(cv.height - 1, Math.ceil(Math.max(a[1], b[1], c[1])));
  const area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  if (area === 0) return;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      const w0 = ((b[0] - x) * (c[1] - y) - (b[1] - y) * (c[0] - x)) / area;
      const w1 = ((c[0] - x) * (a[1] - y) - (c[1] - y) * (a[0] - x)) / area;
      const w2 = 1 - w0 - w1;
      if (w0 >= -1e-9 && w1 >= -1e-9 && w2 >= -1e-9) cv.set(x, y, color);
    }
  }
}

/** Draws a square grid of values ([n, n] row-major, row j at y = coordinates[j]) as a surface. */
export function renderSurface(values: ArrayLike<number>, o: Pick<HeatmapOptions, 'title' | 'coordinates' | 'logScale' | 'colorRange'>): RgbImage {
  const n = o.coordinates.length;
  if (n < 2 || values.length !== n * n) throw new Error(`renderSurface: expected ${n}x${n} values for ${n} coordinates, got ${values.length}`);
  const { unit } = colorScale(values, o);
  const height = (k: number): number => {
    const u = unit(values[k]);
    return Number.isFinite(u) ? Math.min(1, Math.max(0, u)) : 1;
  };
  const cv = new Canvas(WIDTH, HEIGHT);
  const [ca, sa, ce, se] = [Math.cos(AZIMUTH), Math.sin(AZIMUTH), Math.cos(ELEVATION), Math.sin(ELEVATION)];
  // Grid (i, j) to the base square [-1, 1]², x along columns and y along rows.
  const planeX = (i: number): number => (2 * i) / (n - 1) - 1;
  const project = (i: number, j: number, z: number): [number, number] => {
    const [x, y] = [planeX(i), planeX(j)];
    const across = x * ca - y * sa;
    const away = x * sa + y * ca;
    return [WIDTH / 2 + SIDE * across, 312 - SIDE * away * se - RISE * z * ce];
  };
  // The farther along the view (larger x·sin + y·cos), the earlier a cell is painted.
  const cells: { i: number; j: number; away: number }[] = [];
  for (let j = 0; j + 1 < n; j++) for (let i = 0; i + 1 < n; i++) cells.push({ i, j, away: (planeX(i) + planeX(i + 1)) * sa + (planeX(j) + planeX(j + 1)) * ca });
  cells.sort((p, q) => q.away - p.away);
  // The base square's outline, under everything.
  const corners = [project(0, 0, 0), project(n - 1, 0, 0), project(n - 1, n - 1, 0), project(0, n - 1, 0)];
  for (let k = 0; k < 4; k++) cv.line(corners[k][0], corners[k][1], corners[(k + 1) % 4][0], corners[(k + 1) % 4][1], [170, 170, 170]);
  for (const { i, j } of cells) {
    const z = [height(j * n + i), height(j * n + i + 1), height((j + 1) * n + i + 1), height((j + 1) * n + i)];
    const p = [project(i, j, z[0]), project(i + 1, j, z[1]), project(i + 1, j + 1, z[2]), project(i, j + 1, z[3])];
    const color = viridis((z[0] + z[1] + z[2] + z[3]) / 4);
    fillTriangle(cv, p[0], p[1], p[2], color);
    fillTriangle(cv, p[0], p[2], p[3], color);
    const edge = darker(color, 0.6);
    for (let k = 0; k < 4; k++) cv.line(p[k][0], p[k][1], p[(k + 1) % 4][0], p[(k + 1) % 4][1], edge);
  }
  cv.text(o.title, (WIDTH - textWidth(o.title, 2)) / 2, 10, [0, 0, 0]);
  const caption = `height: ${o.logScale ?? true ? 'log loss' : 'loss'}; grid ${n}x${n}, x and y from ${o.coordinates[0]} to ${o.coordinates[n - 1]}`;
  cv.text(caption, (WIDTH - textWidth(caption, 2)) / 2, HEIGHT - 18, [90, 90, 90]);
  return cv.img;
}

export function writeSurface(path: string, values: ArrayLike<number>, o: Pick<HeatmapOptions, 'title' | 'coordinates' | 'logScale' | 'colorRange'>): void {
  writePng(path, renderSurface(values, o));
}
