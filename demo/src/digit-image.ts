/**
 * A drawing turned into the input the digits student was trained on. The embedded digits are
 * MNIST's: each digit was scaled (antialiased, aspect ratio kept) so that its longer side is 20
 * pixels, then placed in a 28x28 frame with its centre of mass in the middle (index 14). The
 * trainer centres that frame on a 24x24 canvas, which crops 2 pixels of (nearly always empty)
 * margin on each side (src/train/dataset.ts, `DigitDataset`; src/train/recipe.ts, `DIGITS_SIZE`).
 * A drawing gets the same three steps here, with the library's PIL-exact bilinear resampling.
 *
 * Pure: no DOM, so the specs run it in Node.
 */
import { createImage, resizedCrop } from 'bnext';

/** MNIST's frame, the box a digit is scaled into, and the canvas the student reads. */
export const FRAME = 28;
export const BOX = 20;
export const DIGIT_SIZE = 24;

/** What a drawing became: the student's input, and where it came from. */
export interface DigitInput {
  /** [24 x 24] values in [0, 1], row-major: the student's input [1, 1, 24, 24]. */
  pixels: Float32Array;
  /** The drawing's bounding box of ink, in drawing pixels. */
  box: { left: number; top: number; width: number; height: number };
}

/**
 * The student's input for a drawing: `ink` holds one value per pixel (0 = background, 255 = full
 * ink; a canvas's red channel for white strokes on black), `width` x `height`. Null for a blank
 * drawing.
 */
export function digitFromDrawing(ink: Uint8Array | Uint8ClampedArray, width: number, height: number): DigitInput | null {
  if (ink.length !== width * height) throw new Error(`digitFromDrawing: ${ink.length} values for a ${width}x${height} drawing`);
  let left = width, right = -1, top = height, bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] === 0) continue;
      left = Math.min(left, x); right = Math.max(right, x);
      top = Math.min(top, y); bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return null;
  const box = { left, top, width: right - left + 1, height: bottom - top + 1 };
  // The longer side to 20 pixels, the aspect ratio kept (a "1" stays thin).
  const scale = BOX / Math.max(box.width, box.height);
  const w = Math.max(1, Math.round(box.width * scale));
  const h = Math.max(1, Math.round(box.height * scale));
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = ink[i];
  const small = resizedCrop(createImage(width, height, rgb), box, w, h, 'bilinear');
  const values = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) values[i] = small.data[3 * i] / 255;
  return { pixels: centreOnCanvas(values, w, h), box };
}

/**
 * The w x h digit placed in the 28x28 frame with its centre of mass at index 14 (rounded to whole
 * pixels, as MNIST's translation), then the frame centred on 24x24: frame pixel (r, c) lands on
 * (r - 2, c - 2), as the trainer places its 28x28 digits.
 */
export function centreOnCanvas(values: Float32Array, w: number, h: number): Float32Array {
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[y * w + x];
      mass += v; mx += v * x; my += v * y;
    }
  }
  const centre = FRAME / 2;
  const dx = mass > 0 ? Math.round(centre - mx / mass) : Math.round((FRAME - w) / 2);
  const dy = mass > 0 ? Math.round(centre - my / mass) : Math.round((FRAME - h) / 2);
  const margin = (FRAME - DIGIT_SIZE) / 2;
  const out = new Float32Array(DIGIT_SIZE * DIGIT_SIZE);
  for (let y = 0; y < h; y++) {
    const oy = y + dy - margin;
    if (oy < 0 || oy >= DIGIT_SIZE) continue;
    for (let x = 0; x < w; x++) {
      const ox = x + dx - margin;
      if (ox >= 0 && ox < DIGIT_SIZE) out[oy * DIGIT_SIZE + ox] = values[y * w + x];
    }
  }
  return out;
}
