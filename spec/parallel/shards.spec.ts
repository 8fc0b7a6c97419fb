import { expect } from 'chai';
import { shardBatch } from '../../src/parallel/shards';

describe('parallel/shards', () => {
  it('cuts a batch into contiguous shards in order, the first ones one larger', () => {
    expect(shardBatch(64, 2)).to.deep.equal([{ start: 0, end: 32 }, { start: 32, end: 64 }]);
    expect(shardBatch(9, 2)).to.deep.equal([{ start: 0, end: 5 }, { start: 5, end: 9 }]);
    expect(shardBatch(10, 3)).to.deep.equal([{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }]);
    expect(shardBatch(7, 1)).to.deep.equal([{ start: 0, end: 7 }]);
  });

  it('leaves the last replicas out when the batch is smaller than the worker count', () => {
    expect(shardBatch(2, 4)).to.deep.equal([{ start: 0, end: 1 }, { start: 1, end: 2 }]);
    expect(shardBatch(1, 2)).to.deep.equal([{ start: 0, end: 1 }]);
  });

  it('refuses empty batches and bad worker counts', () => {
    expect(() => shardBatch(0, 2)).to.throw(/batch size must be a positive integer, got 0/);
    expect(() => shardBatch(8, 0)).to.throw(/worker count must be a positive integer, got 0/);
    expect(() => shardBatch(8, 1.5)).to.throw(/worker count must be a positive integer, got 1.5/);
  });
});
