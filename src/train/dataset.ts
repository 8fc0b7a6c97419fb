/**
 * What the trainer reads: a data set of labelled samples that hands out batches by sample index.
 * The index is also how a teacher's precomputed logits are looked up (distill/teacher.ts).
 */
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Rng } from '../tensor/random';
import { type DigitSet, MNIST_CLASSES, MNIST_SIZE } from '../data/mnist';

/** A labelled data set the trainer and `evaluate` read in batches by sample index. */
export interface Dataset {
  readonly name: string;
  readonly count: number;
  readonly numClasses: number;
  /** [channels, height, width] of one sample. */
  readonly sampleShape: readonly [number, number, number];
  /** The samples at `indices`; with `rng`, randomly augmented (training), else as stored. */
  batch(indices: Int32Array, rng: Rng | null): { x: Tensor; y: IntTensor };
}

/**
 * MNIST digits, optionally padded and randomly shifted by up to `shift` pixels in training
 * (the digits' version of CIFAR's "random crop with padding").
 */
export class DigitDataset implements Dataset {
  readonly count: number;
  readonly numClasses = MNIST_CLASSES;
  readonly sampleShape: readonly [number, number, number];

  constructor(readonly name: string, readonly digits: DigitSet, readonly shift = 0, readonly size = MNIST_SIZE) {
    this.count = digits.count;
    this.sampleShape = [1, size, size];
  }

  batch(indices: Int32Array, rng: Rng | null): { x: Tensor; y: IntTensor } {
    const s = this.size;
    const src = MNIST_SIZE;
    const b = indices.length;
    const x = new Float32Array(b * s * s);
    const y = new Int32Array(b);
    // The 28x28 digit is centred in an s x s canvas, then shifted by (dx, dy).
    const margin = (s - src) >> 1;
    for (let i = 0; i < b; i++) {
      const k = indices[i];
      y[i] = this.digits.labels[k];
      const dx = rng && this.shift > 0 ? rng.int(2 * this.shift + 1) - this.shift : 0;
      const dy = rng && this.shift > 0 ? rng.int(2 * this.shift + 1) - this.shift : 0;
      const img = this.digits.images.subarray(k * src * src, (k + 1) * src * src);
      const out = i * s * s;
      for (let r = 0; r < src; r++) {
        const oy = r + margin + dy;
        if (oy < 0 || oy >= s) continue;
        for (let c = 0; c < src; c++) {
          const ox = c + margin + dx;
          if (ox < 0 || ox >= s) continue;
          x[out + oy * s + ox] = img[r * src + c];
        }
      }
    }
    return { x: new Tensor(x, [b, 1, s, s]), y: new IntTensor(y, [b]) };
  }
}
