/**
 * A float32 sum in exactly the order PyTorch 1.13 sums a contiguous float32 row on the CPU (the
 * AVX2 kernels: 8-lane vectors; ATen's cascade sum; docs/conventions.md, "Rounding").
 *
 * Why it exists: Eq. 6's Norm is a mean of absolute weights, and the official code computes it
 * with torch.mean in float32. A sum in another order may round differently by an ulp, which can
 * move a weight across a rounding boundary of the quantizer and change its integer code. Summing
 * in torch's order makes our Norm, and so every code, equal to the official one (checked against
 * PyTorch in spec/quantize/golden.spec.ts, against the fixtures of fixtures/quant/).
 *
 * The order, as a fact about ATen (no code carried over):
 *   - rows of at least 8 elements are read as 8-lane vectors; the vectors are grouped 4 at a time
 *     (four independent accumulators), and each accumulator is a cascade of 4 levels whose lowest
 *     level takes 2^p vectors (p = max(4, ceil(log2(groups)) / 4)) before it is added upward;
 *     the leftover vectors go to accumulator 0, then accumulators 1..3 are added to it; finally a
 *     scalar starts at 0, takes the tail elements past the last full vector in order, then the
 *     8 lanes in order;
 *   - shorter rows run the same cascade on single elements (4 accumulators of one element).
 * Every addition rounds to float32 (a Float32Array store; double rounding is harmless for one
 * addition of two float32 values).
 */

const LANES = 8;
const ACCUMULATORS = 4;
const LEVELS = 4;

/** ATen's CeilLog2: 1 for x <= 2, else the bit length of x - 1. */
function ceilLog2(x: number): number {
  return x <= 2 ? 1 : 32 - Math.clz32(x - 1);
}

/**
 * The cascade of `count` groups of ACCUMULATORS items, each item `width` consecutive floats,
 * the items of group g starting at start + g * ACCUMULATORS * width. Leaves the ACCUMULATORS
 * partial sums (each `width` wide) in `out`.
 */
function cascade(data: Float32Array, start: number, count: number, width: number, levels: Float32Array, out: Float32Array): void {
  const power = Math.max(4, Math.floor(ceilLog2(count) / LEVELS));
  const step = 2 ** power;
  const mask = step - 1;
  const span = ACCUMULATORS * width;
  levels.fill(0, 0, LEVELS * span);
  let g = 0;
  while (g + step <= count) {
    for (let j = 0; j < step; j++, g++) {
      const base = start + g * span;
      for (let i = 0; i < span; i++) levels[i] += data[base + i];
    }
    for (let level = 1; level < LEVELS; level++) {
      const to = level * span;
      const from = (level - 1) * span;
      for (let i = 0; i < span; i++) {
        levels[to + i] += levels[from + i];
        levels[from + i] = 0;
      }
      if ((g & (mask * 2 ** (level * power))) !== 0) break;
    }
  }
  for (; g < count; g++) {
    const base = start + g * span;
    for (let i = 0; i < span; i++) levels[i] += data[base + i];
  }
  for (let level = 1; level < LEVELS; level++) {
    for (let i = 0; i < span; i++) levels[i] += levels[level * span + i];
  }
  for (let i = 0; i < span; i++) out[i] = levels[i];
}

/** PyTorch's row sum of `count` items of `width` floats (a vector or one element) from `start`. */
function rowSum(data: Float32Array, start: number, count: number, width: number): Float32Array {
  const partial = new Float32Array(ACCUMULATORS * width);
  const groups = Math.floor(count / ACCUMULATORS);
  if (groups > 0) cascade(data, start, groups, width, new Float32Array(LEVELS * ACCUMULATORS * width), partial);
  for (let item = groups * ACCUMULATORS; item < count; item++) {
    for (let i = 0; i < width; i++) partial[i] += data[start + item * width + i];
  }
  for (let k = 1; k < ACCUMULATORS; k++) {
    for (let i = 0; i < width; i++) partial[i] += partial[k * width + i];
  }
  return partial.subarray(0, width);
}

/** The float32 sum of data[start, start + n) in PyTorch's order. */
export function torchSum(data: Float32Array, start: number, n: number): number {
  if (n < LANES) return rowSum(data, start, n, 1)[0];
  const vectors = Math.floor(n / LANES);
  const lanes = rowSum(data, start, vectors, LANES);
  const total = new Float32Array(1);
  for (let i = vectors * LANES; i < n; i++) total[0] += data[start + i];
  for (let i = 0; i < LANES; i++) total[0] += lanes[i];
  return total[0];
}

/** torch.mean of a contiguous float32 row: the sum above, then one float32 division by n. */
export function torchMean(data: Float32Array, start: number, n: number): number {
  return Math.fround(torchSum(data, start, n) / n);
}
