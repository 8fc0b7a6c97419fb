/** Small helpers for the training specs: a digit subset and awaiting an expected rejection. */
import type { DigitSet } from '../../src/data/mnist';

/** `n` digits, every `every`-th of `set`, so small runs still see several classes. */
export function subset(set: DigitSet, n: number, every: number): DigitSet {
  const images = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    images.set(set.images.subarray(i * every * 784, (i * every + 1) * 784), i * 784);
    labels[i] = set.labels[i * every];
  }
  return { images, labels, count: n };
}

/** The message of the error `p` rejects with; fails when it resolves. */
export async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}
