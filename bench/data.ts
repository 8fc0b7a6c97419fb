/**
 * Data pipeline benchmark (docs/performance.md): images per second, single-threaded, from 500x375
 * JPEG bytes in memory to normalised 224x224 model inputs stacked in a batch:
 *
 * - decode: JPEG bytes to RGB (jpeg-js + libjpeg-style colour stage);
 * - train: decode, random-resized crop (bicubic), flip, RandAugment rand-m7-mstd0.5-inc1,
 *   normalise into the batch (the BNext ImageNet training input);
 * - train w/o RandAugment: the same without RandAugment (the paper's "standard" augmentation);
 * - eval: decode, bicubic short-side resize to 235, center crop 224, normalise.
 *
 * The JPEGs (quality 90; jpeg-js writes 4:4:4 chroma) are encoded at start from seeded random
 * smooth images: a 16x12 random image upscaled bicubically plus noise, so they compress like
 * photos rather than like noise. File reading is not timed (the loader overlaps it with work).
 */
import { encode as encodeJpeg } from 'jpeg-js';
import { decodeImage } from '../src/data/decode';
import { createImage } from '../src/data/image';
import { makePipeline, runPipeline, type ImagePipeline } from '../src/data/pipelines';
import { resize } from '../src/data/resample';
import { Rng } from '../src/tensor/random';
import { formatTable, timeInterleaved, type BenchModule } from './harness';
import { withoutInit } from '../src/nn/init';
import { buildModel, resolveConfig } from '../src/models/factory';
import { Tensor } from '../src/tensor/tensor';
import { IntTensor } from '../src/tensor/int-tensor';
import { crossEntropy } from '../src/nn/losses';
import { backward } from '../src/autograd/graph';

const WIDTH = 500;
const HEIGHT = 375;
const IMAGES = 16;
const SIZE = 224;

/** A photo-like test JPEG: smooth colour fields, edges from the upscale, mild noise. */
function syntheticJpeg(rng: Rng): Uint8Array {
  const small = createImage(16, 12);
  for (let i = 0; i < small.data.length; i++) small.data[i] = rng.int(256);
  const img = resize(small, WIDTH, HEIGHT, 'bicubic');
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.max(0, Math.min(255, img.data[i] + Math.round(rng.normal() * 6)));
  const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
  for (let p = 0; p < WIDTH * HEIGHT; p++) {
    rgba[p * 4] = img.data[p * 3];
    rgba[p * 4 + 1] = img.data[p * 3 + 1];
    rgba[p * 4 + 2] = img.data[p * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(encodeJpeg({ width: WIDTH, height: HEIGHT, data: rgba }, 90).data);
}

/** Runs `pipeline` over every JPEG into one batch buffer. */
function batchOf(jpegs: readonly Uint8Array[], pipeline: ImagePipeline, out: Float32Array, seed: number): void {
  const plane = 3 * pipeline.size * pipeline.size;
  jpegs.forEach((bytes, i) => {
    runPipeline(pipeline, decodeImage(bytes, `bench-${i}.jpg`), new Rng(`${seed}:${i}`), `bench-${i}.jpg`, out, i * plane);
  });
}

/** The benchmark; also exported by name for callers that want it without the harness. */
export async function runDataBench(): Promise<void> {
  const rng = new Rng('data-bench');
  const jpegs = Array.from({ length: IMAGES }, () => syntheticJpeg(rng));
  const kib = jpegs.reduce((s, j) => s + j.length, 0) / IMAGES / 1024;
  const out = new Float32Array(IMAGES * 3 * SIZE * SIZE);
  const train = makePipeline('imagenet-train', { size: SIZE });
  const trainPlain = makePipeline('imagenet-train', { size: SIZE, randAugment: null });
  const evaluation = makePipeline('imagenet-eval', { size: SIZE });
  let seed = 0;
  const variants = [
    { name: 'decode', rounds: 5, fn: () => jpegs.forEach((j, i) => decodeImage(j, `bench-${i}.jpg`)) },
    { name: 'train (RRC, flip, RandAugment)', rounds: 5, fn: () => batchOf(jpegs, train, out, seed++) },
    { name: 'train w/o RandAugment', rounds: 5, fn: () => batchOf(jpegs, trainPlain, out, seed++) },
    { name: 'eval (resize 235, crop 224)', rounds: 5, fn: () => batchOf(jpegs, evaluation, out, seed++) },
  ];
  const ms = timeInterleaved(variants);
  const rows = variants.map((v) => {
    const perImage = (ms.get(v.name) ?? NaN) / IMAGES;
    return [v.name, perImage.toFixed(2), (1000 / perImage).toFixed(1)];
  });
  console.log(`${IMAGES} JPEGs of ${WIDTH}x${HEIGHT} (mean ${kib.toFixed(0)} KiB, quality 90, 4:4:4) -> ${SIZE}x${SIZE} float inputs, one thread`);
  console.log(formatTable(['pipeline', 'ms/image', 'images/s'], rows));
  // The consumer of those inputs: one BNext-T training step at the same input size, so the table
  // shows whether loading would hold training back.
  const batch = 2;
  const model = withoutInit(() => buildModel(resolveConfig({ arch: 'bnext-t' })));
  const x = new Tensor(new Float32Array(batch * 3 * SIZE * SIZE).fill(0.1), [batch, 3, SIZE, SIZE]);
  const y = new IntTensor(new Int32Array(batch), [batch]);
  model.train();
  const t0 = performance.now();
  backward(crossEntropy(model.call(x), y));
  const stepMs = performance.now() - t0;
  const trainRow = rows.find((r) => r[0].startsWith('train ('));
  console.log(`BNext-T training step at ${SIZE}x${SIZE}, batch ${batch}, one thread: ${(stepMs / batch).toFixed(0)} ms/image (${((1000 * batch) / stepMs).toFixed(2)} images/s, one step); the training pipeline above supplies ${trainRow ? trainRow[2] : '?'} images/s`);
}

const bench: BenchModule = {
  name: 'data',
  title: 'decode + augment + batch throughput (500x375 JPEG -> 224x224 input, single-threaded)',
  run: runDataBench,
};
export default bench;
