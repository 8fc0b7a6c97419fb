/**
 * A 3x5 pixel font for the labels of our plots (digits, lower-case letters and a few signs),
 * so training curves carry their own titles and tick values without a font dependency.
 * Each glyph is five rows of three bits, most significant bit on the left.
 */
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 3, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 2, 2], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
  a: [0, 7, 1, 7, 7], b: [4, 4, 7, 5, 7], c: [0, 7, 4, 4, 7], d: [1, 1, 7, 5, 7], e: [7, 5, 7, 4, 7],
  f: [3, 4, 6, 4, 4], g: [7, 5, 7, 1, 7], h: [4, 4, 7, 5, 5], i: [2, 0, 2, 2, 2], j: [1, 0, 1, 5, 7],
  k: [4, 5, 6, 5, 5], l: [6, 2, 2, 2, 7], m: [0, 7, 7, 5, 5], n: [0, 6, 5, 5, 5], o: [0, 7, 5, 5, 7],
  p: [7, 5, 7, 4, 4], q: [7, 5, 7, 1, 1], r: [0, 7, 4, 4, 4], s: [0, 7, 6, 1, 7], t: [4, 7, 4, 4, 3],
  u: [0, 5, 5, 5, 7], v: [0, 5, 5, 5, 2], w: [0, 5, 5, 7, 7], x: [0, 5, 2, 2, 5], y: [5, 5, 7, 1, 7],
  z: [0, 7, 1, 4, 7], '.': [0, 0, 0, 0, 2], '-': [0, 0, 7, 0, 0], '+': [0, 2, 7, 2, 0], '%': [5, 1, 2, 4, 5],
  ':': [0, 2, 0, 2, 0], '(': [1, 2, 2, 2, 1], ')': [4, 2, 2, 2, 4], '/': [1, 1, 2, 4, 4], ' ': [0, 0, 0, 0, 0],
  '=': [0, 7, 0, 7, 0], '_': [0, 0, 0, 0, 7], ',': [0, 0, 0, 2, 4],
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

/** Calls `set(x, y)` for every lit pixel of `text` drawn at (x0, y0), `scale` pixels per dot. */
export function drawText(text: string, x0: number, y0: number, scale: number, set: (x: number, y: number) => void): void {
  let x = x0;
  for (const ch of text.toLowerCase()) {
    const rows = GLYPHS[ch] ?? GLYPHS[' '];
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (!(rows[r] & (4 >> c))) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) set(x + c * scale + dx, y0 + r * scale + dy);
      }
    }
    x += (GLYPH_WIDTH + 1) * scale;
  }
}

/** Width in pixels of `text` at `scale`. */
export function textWidth(text: string, scale: number): number {
  return Math.max(0, text.length * (GLYPH_WIDTH + 1) * scale - scale);
}
