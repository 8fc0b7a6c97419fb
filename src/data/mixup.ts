/**
 * Mixup and CutMix with label mixing, with timm 0.6's semantics (paper Table 6 evaluates both; the
 * official script builds timm's `Mixup` from its --mixup / --cutmix flags, off by default).
 *
 * Each image i is mixed with image N-1-i (the batch reversed). With probability `prob` a mix
 * happens; when both are enabled, CutMix is chosen with probability `switchProb`; lambda is drawn
 * from Beta(alpha, alpha) of the chosen method.
 * - Mixup: x_i <- lambda x_i + (1 - lambda) x_{N-1-i}.
 * - CutMix: a box of side sqrt(1 - lambda) times the image's, centred uniformly (clipped at the
 *   borders), is pasted from x_{N-1-i}; lambda is then corrected to the area actually kept,
 *   1 - box area / image area. (With `cutmixMinMax` the box sides are uniform fractions instead.)
 * - Targets: one-hot with label smoothing (off = smoothing / classes, on = 1 - smoothing + off),
 *   mixed with the same lambda: y_i <- lambda y_i + (1 - lambda) y_{N-1-i}.
 *
 * Modes: 'batch' (one lambda and box for the batch), 'pair' (per pair i, N-1-i), 'elem' (per
 * image). Images are mixed in float32 as torch does. The batch size must be even, as in timm.
 */
import { sampleBeta } from './distributions';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Rng } from '../tensor/random';

/** timm's Mixup modes: one mix per batch, per pair, or per element. */
export type MixupMode = 'batch' | 'pair' | 'elem';

/** `Mixup`'s options, as timm's. */
export interface MixupOptions {
  /** Beta alpha of Mixup; 0 disables it (timm default 1). */
  mixupAlpha?: number;
  /** Beta alpha of CutMix; 0 disables it (timm default 0). */
  cutmixAlpha?: number;
  /** CutMix box side range as image fractions; when set, CutMix is on and lambda comes from the box. */
  cutmixMinMax?: readonly [number, number] | null;
  /** Probability of mixing a batch / pair / element (default 1). */
  prob?: number;
  /** Probability of CutMix rather than Mixup when both are on (default 0.5). */
  switchProb?: number;
  mode?: MixupMode;
  /** Correct lambda to the box area left after clipping (default true). */
  correctLam?: boolean;
  labelSmoothing?: number;
  numClasses: number;
}

/** A CutMix box: rows [y0, y1) and columns [x0, x1). */
export interface CutBox {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** A batch after Mixup/CutMix: mixed images and soft targets. */
export interface MixedBatch {
  images: Tensor;
  /** Soft targets [N, numClasses]. */
  targets: Tensor;
  /** The lambda each image kept of itself. */
  lam: Float32Array;
}

/** timm's rand_bbox: a box of side sqrt(1 - lam) of the image's, centre uniform, clipped. */
export function cutmixBox(height: number, width: number, lam: number, rng: Rng): CutBox {
  const ratio = Math.sqrt(1 - lam);
  const cutH = Math.trunc(height * ratio);
  const cutW = Math.trunc(width * ratio);
  const cy = rng.int(height);
  const cx = rng.int(width);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    y0: clip(cy - Math.floor(cutH / 2), height),
    y1: clip(cy + Math.floor(cutH / 2), height),
    x0: clip(cx - Math.floor(cutW / 2), width),
    x1: clip(cx + Math.floor(cutW / 2), width),
  };
}

/** timm's rand_bbox_minmax: box sides uniform in [min, max) fractions, position uniform. */
export function cutmixBoxMinMax(height: number, width: number, minmax: readonly [number, number], rng: Rng): CutBox {
  const randint = (lo: number, hi: number) => lo + rng.int(hi - lo);
  const cutH = randint(Math.trunc(height * minmax[0]), Math.trunc(height * minmax[1]));
  const cutW = randint(Math.trunc(width * minmax[0]), Math.trunc(width * minmax[1]));
  const y0 = rng.int(height - cutH);
  const x0 = rng.int(width - cutW);
  return { y0, y1: y0 + cutH, x0, x1: x0 + cutW };
}

/** One-hot targets with smoothing, mixed: lam[i] * y_i + (1 - lam[i]) * y_{N-1-i}, in float32. */
export function mixTargets(labels: Int32Array, numClasses: number, lam: Float32Array, smoothing: number): Tensor {
  const n = labels.length;
  const off = Math.fround(smoothing / numClasses);
  const on = Math.fround(1 - smoothing + smoothing / numClasses);
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const a = labels[i];
    const b = labels[n - 1 - i];
    if (a < 0 || a >= numClasses || b < 0 || b >= numClasses) {
      throw new Error(`mixup: label ${a < 0 || a >= numClasses ? a : b} is outside 0..${numClasses - 1}`);
    }
    const l = Math.fround(lam[i]);
    const l1 = Math.fround(1 - l);
    for (let k = 0; k < numClasses; k++) {
      const ya = k === a ? on : off;
      const yb = k === b ? on : off;
      out[i * numClasses + k] = Math.fround(Math.fround(ya * l) + Math.fround(yb * l1));
    }
  }
  return new Tensor(out, [n, numClasses]);
}

/** timm's Mixup and CutMix with label smoothing, from the seeded generator. */
export class Mixup {
  private readonly mixupAlpha: number;
  private readonly cutmixAlpha: number;
  private readonly minmax: readonly [number, number] | null;
  private readonly prob: number;
  private readonly switchProb: number;
  private readonly mode: MixupMode;
  private readonly correctLam: boolean;
  private readonly smoothing: number;
  private readonly numClasses: number;

  constructor(o: MixupOptions) {
    this.minmax = o.cutmixMinMax ?? null;
    this.mixupAlpha = o.mixupAlpha ?? 1;
    // timm forces CutMix on (alpha 1) when a min/max box range is given.
    this.cutmixAlpha = this.minmax ? 1 : (o.cutmixAlpha ?? 0);
    this.prob = o.prob ?? 1;
    this.switchProb = o.switchProb ?? 0.5;
    this.mode = o.mode ?? 'batch';
    this.correctLam = o.correctLam ?? true;
    this.smoothing = o.labelSmoothing ?? 0;
    this.numClasses = o.numClasses;
    if (!(this.mixupAlpha > 0) && !(this.cutmixAlpha > 0)) throw new Error('mixup: one of mixupAlpha, cutmixAlpha or cutmixMinMax must enable mixing');
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) throw new Error(`mixup: numClasses must be a positive integer, got ${o.numClasses}`);
  }

  /** lambda and the CutMix choice for one batch / pair / element, drawn as timm draws them. */
  private params(rng: Rng): { lam: number; cutmix: boolean } {
    if (!(rng.uniform() < this.prob)) return { lam: 1, cutmix: false };
    let cutmix = false;
    if (this.mixupAlpha > 0 && this.cutmixAlpha > 0) cutmix = rng.uniform() < this.switchProb;
    else cutmix = this.cutmixAlpha > 0;
    const alpha = cutmix ? this.cutmixAlpha : this.mixupAlpha;
    return { lam: sampleBeta(rng, alpha, alpha), cutmix };
  }

  /** The box for `lam`, and lambda corrected to the area outside it. */
  private box(h: number, w: number, lam: number, rng: Rng): { box: CutBox; lam: number } {
    const box = this.minmax ? cutmixBoxMinMax(h, w, this.minmax, rng) : cutmixBox(h, w, lam, rng);
    if (this.correctLam || this.minmax) lam = 1 - ((box.y1 - box.y0) * (box.x1 - box.x0)) / (h * w);
    return { box, lam };
  }

  /** Mixes a batch of images [N, C, H, W] and their labels [N]; the input is not modified. */
  apply(images: Tensor, labels: IntTensor, rng: Rng): MixedBatch {
    if (images.ndim !== 4) throw new Error(`mixup: images must be [N, C, H, W], got [${images.shape.join(', ')}]`);
    const [n, c, h, w] = images.shape;
    if (labels.data.length !== n) throw new Error(`mixup: ${n} images but ${labels.data.length} labels`);
    if (n % 2 !== 0) throw new Error(`mixup: the batch size must be even, got ${n}`);
    const src = images.data;
    const out = src.slice();
    const lam = new Float32Array(n).fill(1);
    const plane = c * h * w;

    // Image i takes from image j: a blend, or a box pasted from the unmixed original.
    const blendInto = (i: number, j: number, l: number) => {
      const li = Math.fround(l);
      const lj = Math.fround(1 - l);
      for (let k = 0; k < plane; k++) out[i * plane + k] = Math.fround(Math.fround(src[i * plane + k] * li) + Math.fround(src[j * plane + k] * lj));
    };
    const pasteInto = (i: number, j: number, b: CutBox) => {
      for (let ch = 0; ch < c; ch++) {
        for (let y = b.y0; y < b.y1; y++) {
          const row = ((ch * h) + y) * w;
          for (let x = b.x0; x < b.x1; x++) out[i * plane + row + x] = src[j * plane + row + x];
        }
      }
    };

    if (this.mode === 'batch') {
      const p = this.params(rng);
      let l = p.lam;
      if (l !== 1) {
        if (p.cutmix) {
          const r = this.box(h, w, l, rng);
          l = r.lam;
          for (let i = 0; i < n; i++) pasteInto(i, n - 1 - i, r.box);
        } else {
          for (let i = 0; i < n; i++) blendInto(i, n - 1 - i, l);
        }
      }
      lam.fill(l);
    } else {
      const count = this.mode === 'pair' ? n / 2 : n;
      const params = this.elementParams(count, rng);
      for (let i = 0; i < count; i++) {
        const j = n - 1 - i;
        let l = params.lam[i];
        if (l === 1) continue;
        if (params.cutmix[i]) {
          const r = this.box(h, w, l, rng);
          l = r.lam;
          pasteInto(i, j, r.box);
          if (this.mode === 'pair') pasteInto(j, i, r.box);
        } else {
          blendInto(i, j, l);
          if (this.mode === 'pair') blendInto(j, i, l);
        }
        params.lam[i] = l;
      }
      for (let i = 0; i < count; i++) lam[i] = params.lam[i];
      if (this.mode === 'pair') for (let i = 0; i < count; i++) lam[n - 1 - i] = params.lam[i];
    }
    return { images: new Tensor(out, images.shape), targets: mixTargets(labels.data, this.numClasses, lam, this.smoothing), lam };
  }

  /**
   * Per-element parameters in timm's draw order: the CutMix choices for all, the CutMix and the
   * Mixup lambdas for all, then the gates for all.
   */
  private elementParams(count: number, rng: Rng): { lam: Float32Array; cutmix: boolean[] } {
    const cutmix = new Array<boolean>(count).fill(false);
    const lamMix = new Float32Array(count);
    if (this.mixupAlpha > 0 && this.cutmixAlpha > 0) {
      for (let i = 0; i < count; i++) cutmix[i] = rng.uniform() < this.switchProb;
      const cut = Array.from({ length: count }, () => sampleBeta(rng, this.cutmixAlpha, this.cutmixAlpha));
      const mix = Array.from({ length: count }, () => sampleBeta(rng, this.mixupAlpha, this.mixupAlpha));
      for (let i = 0; i < count; i++) lamMix[i] = cutmix[i] ? cut[i] : mix[i];
    } else {
      const alpha = this.mixupAlpha > 0 ? this.mixupAlpha : this.cutmixAlpha;
      if (!(this.mixupAlpha > 0)) cutmix.fill(true);
      for (let i = 0; i < count; i++) lamMix[i] = sampleBeta(rng, alpha, alpha);
    }
    const lam = new Float32Array(count);
    for (let i = 0; i < count; i++) lam[i] = rng.uniform() < this.prob ? lamMix[i] : 1;
    return { lam, cutmix };
  }
}
