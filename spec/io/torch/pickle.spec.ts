/**
 * The restricted unpickler on hand-written pickles: plain values and the memo, every refusal
 * (unknown opcodes, globals and calls outside the allow-list), and lengths that claim more bytes
 * than the pickle has, which must fail before anything is allocated.
 */
import { expect } from 'chai';
import { TorchFileError, UnsafePickleError } from '../../../src/io/torch/errors';
import { PickleDict, PickleFloat, type PickleHost, PickleTuple, type PickleValue, unpickle } from '../../../src/io/torch/pickle';
import { TorchStorage, TorchTensor, torchPickleHost } from '../../../src/io/torch/allow-list';
import { bytesOf, op, type Piece } from './pickle-bytes';

/** A host that allows nothing (plain values only). */
const refuseAll: PickleHost = torchPickleHost('t.pkl', () => {
  throw new Error('no storages here');
});

function run(...pieces: Piece[]): PickleValue {
  return unpickle(bytesOf(op.proto(), ...pieces, op.stop), refuseAll, 't.pkl').value;
}

function refusal(fn: () => unknown): UnsafePickleError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UnsafePickleError) return e;
    throw e;
  }
  throw new Error('expected an UnsafePickleError');
}

/** A host whose persistent ids name storages of `numel` float32 zeros. */
function storageHost(): PickleHost {
  return torchPickleHost('t.pkl', (id) => {
    const s = new TorchStorage(id.key, id.storageClass.dtype, id.numel, id.location);
    s.setBytes(new Uint8Array(s.byteLength));
    return s;
  });
}

/** `_rebuild_tensor_v2(storage of numel floats, offset, size, stride, False, OrderedDict())`. */
function tensorPickle(numel: number, offset: number, size: number[], stride: number[]): Uint8Array {
  const ints = (xs: number[]): number[] => [op.mark, ...xs.flatMap((x) => op.int4(x)), op.tuple];
  return bytesOf(
    op.proto(), op.global('torch._utils', '_rebuild_tensor_v2'), op.mark,
    op.mark, ...op.unicode('storage'), ...op.global('torch', 'FloatStorage'), ...op.unicode('0'), ...op.unicode('cpu'), ...op.int4(numel), op.tuple, op.binpersid,
    ...op.int4(offset), ...ints(size), ...ints(stride), op.false, ...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce,
    op.tuple, op.reduce, op.stop,
  );
}

describe('io/torch: the restricted unpickler', () => {
  it('reads plain values: ints (small, negative, beyond 2^53), floats, str, None, bools, containers', () => {
    const v = run(
      op.emptyDict, op.mark,
      ...op.unicode('a'), ...op.int4(-5),
      ...op.unicode('big'), ...op.long1([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]),
      ...op.unicode('f'), ...op.float(0.1),
      ...op.unicode('é'), op.none,
      ...op.unicode('t'), op.true, op.false, op.tuple2,
      ...op.unicode('l'), op.emptyList, op.mark, ...op.int1(1), ...op.int1(2), op.appends,
      op.setitems,
    ) as PickleDict;
    expect(v).to.be.instanceOf(PickleDict);
    expect(v.entries.get('a')).to.equal(-5);
    expect(v.entries.get('big')).to.equal(0x1950a86a20f9469cfc6cn);
    expect(v.entries.get('f')).to.deep.equal(new PickleFloat(0.1));
    expect(v.entries.get('é')).to.equal(null);
    expect((v.entries.get('t') as PickleTuple).items).to.deep.equal([true, false]);
    expect(v.entries.get('l')).to.deep.equal([1, 2]);
  });

  it('shares memoized objects, as pickle does', () => {
    const v = run(op.emptyList, ...op.put(0), op.pop, op.get(0), op.get(0), op.tuple2) as PickleTuple;
    expect(v.items[0]).to.equal(v.items[1]);
  });

  it('appends a long list without an argument-count limit', () => {
    const items = new Array<number[]>(200_000).fill(op.int1(7)).flat();
    const v = run(op.emptyList, op.mark, items, op.appends) as number[];
    expect(v).to.have.length(200_000);
  });

  it('refuses opcodes outside the subset by name: INST, NEWOBJ, EXT1, and protocol 5', () => {
    for (const [code, name] of [[0x69, 'INST (0x69)'], [0x81, 'NEWOBJ (0x81)'], [0x82, 'EXT1 (0x82)'], [0xff, 'unknown opcode (0xff)']] as const) {
      const e = refusal(() => run(code));
      expect(e.kind).to.equal('opcode');
      expect(e.refused).to.equal(name);
      expect(e.message).to.match(new RegExp(`^t\\.pkl: pickle: opcode ${name.replace(/[()]/g, '\\$&')} at byte 2`));
    }
    expect(() => run(...op.proto(5))).to.throw(TorchFileError, /pickle protocol 5 is not supported/);
  });

  it('refuses globals outside the allow-list, by GLOBAL and by STACK_GLOBAL', () => {
    const e = refusal(() => run(...op.global('builtins', 'eval')));
    expect([e.kind, e.refused]).to.deep.equal(['global', 'builtins.eval']);
    expect(e.message).to.match(/t\.pkl: pickle: refused the global 'builtins\.eval'/);
    const stacked = refusal(() => run(...op.unicode('os'), ...op.unicode('system'), 0x93));
    expect(stacked.refused).to.equal('os.system');
    const nn = refusal(() => run(...op.global('torch.nn.modules.conv', 'Conv2d')));
    expect(nn.message).to.match(/save model\.state_dict\(\) instead/);
  });

  it('refuses a call of an allowed class that is not a callable, and BUILD on anything but an OrderedDict', () => {
    const call = refusal(() => run(...op.global('torch', 'FloatStorage'), op.emptyTuple, op.reduce));
    expect([call.kind, call.refused]).to.deep.equal(['call', 'torch.FloatStorage']);
    const build = refusal(() => run(op.emptyList, op.emptyDict, op.build));
    expect([build.kind, build.refused]).to.deep.equal(['call', 'list']);
    const od = run(...op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce, op.emptyDict, ...op.unicode('_metadata'), op.none, op.setitem, op.build) as PickleDict;
    expect(od.ordered).to.equal(true);
    expect(od.attributes!.entries.get('_metadata')).to.equal(null);
  });

  it('checks every claimed length against the bytes present before reading', () => {
    const claim = (pieces: Piece[]) => () => unpickle(bytesOf(op.proto(), ...pieces), refuseAll, 't.pkl');
    expect(claim([op.unicodeClaiming(0xfffffff0), 0x41, 0x42, 0x43])).to.throw(TorchFileError, /string needs 4294967280 bytes, only 3 remain/);
    expect(claim([[0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]])).to.throw(TorchFileError, /string needs 9223372036854775807 bytes, only 0 remain/);
    expect(claim([[0x95, 0, 0, 0, 0, 0, 0, 0, 0x40]])).to.throw(TorchFileError, /frame needs \d+ bytes, only 0 remain/);
    expect(claim([[0x8b, 0xff, 0xff, 0xff, 0x7f]])).to.throw(TorchFileError, /integer of 2147483647 bytes/);
    expect(claim([[0x8b, 0xff, 0xff, 0xff, 0xff]])).to.throw(TorchFileError, /negative LONG4 length -1/);
  });

  it('keeps protocol 4 frames whole: no argument across a frame end, no frame inside another', () => {
    const frame = (n: number): number[] => [0x95, n, 0, 0, 0, 0, 0, 0, 0];
    expect(run(frame(2), op.none)).to.equal(null); // the frame holds NONE and STOP
    expect(() => run(frame(3), ...op.unicode('abc'))).to.throw(TorchFileError, /argument runs past the end of its frame at byte 14/);
    expect(() => run(frame(11), frame(1), op.none)).to.throw(TorchFileError, /a new frame begins before the end of the current one at byte 22/);
  });

  it('refuses memo indices no pickler of that length could write (CPython would allocate for them)', () => {
    expect(() => run(op.none, [0x72, 0x01, 0x01, 0x00, 0x80])).to.throw(TorchFileError, /memo index 2147483905 is beyond what a \d+-byte pickle can number/);
  });

  it('reports malformed programs: an unknown memo index, stack underflow, a missing STOP, extra values', () => {
    expect(() => run(op.get(3))).to.throw(TorchFileError, /memo index 3 was never stored/);
    expect(() => run(op.none, op.tuple2)).to.throw(TorchFileError, /stack underflow \(opcode TUPLE2/);
    expect(() => run(op.none, op.mark, op.pop)).to.throw(TorchFileError, /stack underflow/);
    expect(() => unpickle(bytesOf(op.proto(), op.none), refuseAll, 't.pkl')).to.throw(TorchFileError, /without a STOP opcode/);
    expect(() => run(op.none, op.none)).to.throw(TorchFileError, /STOP with 2 values on the stack/);
    expect(() => run(op.emptyDict, op.emptyTuple, op.none, op.setitem)).to.throw(TorchFileError, /dict key of type tuple is not supported/);
    expect(() => run(op.none, op.none, op.append)).to.throw(TorchFileError, /expected a list to append to, found None/);
  });

  it('rebuilds a tensor only when its sizes, strides and offset stay inside its storage', () => {
    const ok = unpickle(tensorPickle(12, 2, [2, 5], [5, 1]), storageHost(), 't.pkl').value as TorchTensor;
    expect(ok).to.be.instanceOf(TorchTensor);
    expect([ok.offset, ok.shape, ok.stride]).to.deep.equal([2, [2, 5], [5, 1]]);
    expect(() => unpickle(tensorPickle(12, 3, [2, 5], [5, 1]), storageHost(), 't.pkl')).to.throw(TorchFileError, /tensor \[2, 5\] with strides \[5, 1\] at offset 3 reaches element 12 of storage '0' \(12 x F32\)/);
    expect(() => unpickle(tensorPickle(12, 0, [0x7fffffff, 0x7fffffff, 0x7fffffff], [0, 0, 0]), storageHost(), 't.pkl')).to.throw(TorchFileError, /more elements than any file can hold/);
    expect(() => unpickle(tensorPickle(12, 0, [2], [1, 1]), storageHost(), 't.pkl')).to.throw(TorchFileError, /1 sizes but 2 strides/);
    // An empty tensor addresses nothing, whatever its strides.
    const empty = unpickle(tensorPickle(0, 0, [0, 3], [3, 1]), storageHost(), 't.pkl').value as TorchTensor;
    expect(empty.shape).to.deep.equal([0, 3]);
  });
});
