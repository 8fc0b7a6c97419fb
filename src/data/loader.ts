/**
 * Batches of model inputs from an image folder: visit order from a sampler (shuffled with a seed),
 * files read ahead asynchronously, each image decoded and run through a pipeline, stacked into a
 * [B, 3, S, S] tensor with its labels.
 *
 * Augmentation randomness is per sample: sample k of epoch e draws from
 * `new Rng(`${seed}:${e}:${k}`)`, so a batch's pixels depend only on the seed, the epoch and the
 * position, not on batch size, read-ahead depth or timing.
 *
 * Decoding and augmentation run on the calling thread (JavaScript has one); the read-ahead keeps
 * file I/O of the next `prefetch` batches in flight while the caller works.
 *
 * An unreadable or undecodable file is an error naming it; with `skipUnreadable` it is logged
 * ("skipping <path>: <why>") and left out, so that batch comes out smaller.
 */
import { readFile } from 'node:fs/promises';
import { decodeImage } from './decode';
import type { ImageFolder, Sample } from './image-folder';
import { runPipeline, type ImagePipeline } from './pipelines';
import { RandomSampler, SequentialSampler, type Sampler } from './sampler';
import { Rng } from '../tensor/random';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { BATCH_SIZE, checkNumber } from '../tensor/arguments';

/** One batch of a `DataLoader`. */
export interface Batch {
  /** [B, 3, size, size], normalised. */
  images: Tensor;
  labels: IntTensor;
  paths: string[];
}

/** `DataLoader`'s options. */
export interface LoaderOptions {
  batchSize: number;
  /** Shuffle each epoch (ignored when a sampler is given). */
  shuffle?: boolean;
  seed?: number | string;
  /** Drop a last, smaller batch. */
  dropLast?: boolean;
  /** Batches whose files are read ahead (default 2). */
  prefetch?: number;
  skipUnreadable?: boolean;
  /** Where skip messages go (default console.warn). */
  log?: (message: string) => void;
  sampler?: Sampler;
}

type Loaded = { sample: Sample; position: number; bytes: Uint8Array } | { sample: Sample; position: number; error: string };

/**
 * Batches of an ImageFolder through a pipeline, files read ahead asynchronously, in a seeded
 * order.
 */
export class DataLoader {
  private readonly sampler: Sampler;
  private readonly batchSize: number;
  private readonly seed: number | string;
  private readonly dropLast: boolean;
  private readonly prefetch: number;
  private readonly skipUnreadable: boolean;
  private readonly log: (message: string) => void;

  constructor(readonly dataset: ImageFolder, readonly pipeline: ImagePipeline, o: LoaderOptions) {
    checkNumber(o.batchSize, 'loader: batchSize', BATCH_SIZE);
    this.batchSize = o.batchSize;
    this.seed = o.seed ?? 0;
    this.sampler = o.sampler ?? (o.shuffle ? new RandomSampler(dataset.length, this.seed) : new SequentialSampler(dataset.length));
    this.dropLast = o.dropLast ?? false;
    this.prefetch = Math.max(0, o.prefetch ?? 2);
    this.skipUnreadable = o.skipUnreadable ?? false;
    this.log = o.log ?? ((m) => console.warn(m));
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The batches of epoch `epoch`. */
  async *epoch(epoch = 0): AsyncGenerator<Batch> {
    const order = this.sampler.indices(epoch);
    const batches = this.length;
    const pending: Promise<Loaded[]>[] = [];
    const start = (b: number) => {
      const from = b * this.batchSize;
      const to = Math.min(from + this.batchSize, order.length);
      const reads: Promise<Loaded>[] = [];
      for (let k = from; k < to; k++) reads.push(this.read(this.dataset.samples[order[k]], k));
      pending.push(Promise.all(reads));
    };
    for (let b = 0; b < Math.min(batches, this.prefetch + 1); b++) start(b);
    for (let b = 0; b < batches; b++) {
      const loaded = await (pending.shift() as Promise<Loaded[]>);
      if (b + this.prefetch + 1 < batches) start(b + this.prefetch + 1);
      const batch = this.assemble(loaded, epoch);
      if (batch) yield batch;
    }
  }

  private async read(sample: Sample, position: number): Promise<Loaded> {
    try {
      return { sample, position, bytes: await readFile(sample.path) };
    } catch (e) {
      return { sample, position, error: `${sample.path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    }
  }

  /** Decodes and transforms one batch; null when every file of it was skipped. */
  private assemble(loaded: Loaded[], epoch: number): Batch | null {
    const size = this.pipeline.size;
    const plane = 3 * size * size;
    const data = new Float32Array(loaded.length * plane);
    const labels: number[] = [];
    const paths: string[] = [];
    for (const item of loaded) {
      try {
        if ('error' in item) throw new Error(item.error);
        const img = decodeImage(item.bytes, item.sample.path);
        const rng = new Rng(`${this.seed}:${epoch}:${item.position}`);
        runPipeline(this.pipeline, img, rng, item.sample.path, data, labels.length * plane);
      } catch (e) {
        if (!this.skipUnreadable) throw e;
        this.log(`skipping ${(e as Error).message}`);
        continue;
      }
      labels.push(item.sample.label);
      paths.push(item.sample.path);
    }
    if (labels.length === 0) return null;
    const images = new Tensor(labels.length === loaded.length ? data : data.slice(0, labels.length * plane), [labels.length, 3, size, size]);
    return { images, labels: new IntTensor(Int32Array.from(labels), [labels.length]), paths };
  }
}
