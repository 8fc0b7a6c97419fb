/**
 * How a batch is split across data-parallel replicas (PyTorch DistributedDataParallel): W
 * contiguous shards, in order, as equal in size as possible (the first `count % W` shards hold
 * one sample more). A batch smaller than W leaves the last replicas without a shard: they sit
 * the step out and the gradient is averaged over the shards that exist.
 */

/** A shard is the half-open range [start, end) of the batch's rows. */
export interface Shard {
  start: number;
  end: number;
}

/** The non-empty shards of a batch of `count` samples over `workers` replicas, in rank order. */
export function shardBatch(count: number, workers: number): Shard[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shardBatch: batch size must be a positive integer, got ${count}`);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`shardBatch: worker count must be a positive integer, got ${workers}`);
  const base = Math.floor(count / workers);
  const extra = count % workers;
  const shards: Shard[] = [];
  let start = 0;
  for (let rank = 0; rank < workers; rank++) {
    const size = base + (rank < extra ? 1 : 0);
    if (size === 0) break;
    shards.push({ start, end: start + size });
    start += size;
  }
  return shards;
}
