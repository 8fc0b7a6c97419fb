/**
 * The two container formats around the pickle, on PyTorch's own files changed in one place each:
 * the zip format (CRC-32, compressed or missing entries, sizes, ZIP64) and the legacy format
 * (magic number, storage counts, truncation); and the copy budget of strided tensors.
 */
import { expect } from 'chai';
import { parseTorchFile, parseTorchStateDict } from '../../../src/io/torch/checkpoint';
import { TorchFileError } from '../../../src/io/torch/errors';
import { readZipDirectory, zipEntryData } from '../../../src/io/torch/zip';
import { TorchStorage, TorchTensor } from '../../../src/io/torch/allow-list';
import { materializeTensor, StorageViews } from '../../../src/io/torch/tensor-view';
import { expectedTensors, expectSameTensors, torchFixtureBytes } from './helpers';
import { zipArchive } from '../../../fuzz/zip-writer';

const VIEWS = 'views.pth';

/** Offset of the first central directory header of a zip. */
function centralDirectory(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(bytes.length - 22 + 16, true);
}

describe('io/torch: the zip format', () => {
  it('finds the folder by its data.pkl, whatever it is called', () => {
    const entries = readZipDirectory(torchFixtureBytes(VIEWS), VIEWS);
    expect([...entries.keys()]).to.include('views/data.pkl');
  });

  it('reads the same tensors from the archive rewritten with ZIP64 records', () => {
    const bytes = torchFixtureBytes(VIEWS);
    const entries = [...readZipDirectory(bytes, VIEWS).values()].map((e) => ({ name: e.name.replace(/^views\//, 'renamed/'), data: zipEntryData(bytes, e, VIEWS) }));
    const zip64 = zipArchive(entries, { zip64: true });
    expectSameTensors(parseTorchStateDict(zip64, 'z64.pth').tensors, expectedTensors('views.expected.safetensors'), 'zip64');
  });

  it('refuses a storage whose bytes fail the CRC-32 check', () => {
    const bytes = torchFixtureBytes(VIEWS);
    const storage = readZipDirectory(bytes, VIEWS).get('views/data/0')!;
    bytes[storage.dataOffset + 5] ^= 0x10;
    expect(() => parseTorchStateDict(bytes, VIEWS)).to.throw(TorchFileError, /views\.pth: zip: entry 'views\/data\/0' fails its CRC-32 check/);
  });

  it('refuses compressed entries, naming the method', () => {
    const bytes = torchFixtureBytes(VIEWS);
    bytes[centralDirectory(bytes) + 10] = 8; // deflate
    expect(() => parseTorchStateDict(bytes, VIEWS)).to.throw(TorchFileError, /entry 'views\/data\.pkl' is compressed \(method 8\)/);
  });

  it('refuses a truncated archive and sizes beyond the file, without allocating them', () => {
    const bytes = torchFixtureBytes(VIEWS);
    expect(() => parseTorchStateDict(bytes.subarray(0, bytes.length - 30), VIEWS)).to.throw(TorchFileError, /no end of central directory record/);
    const grown = torchFixtureBytes(VIEWS);
    const view = new DataView(grown.buffer);
    const at = centralDirectory(grown);
    view.setUint32(at + 20, 0xfffffff0, true);
    view.setUint32(at + 24, 0xfffffff0, true);
    expect(() => parseTorchStateDict(grown, VIEWS)).to.throw(TorchFileError, /claims 4294967280 bytes at byte 64, past the end of the file/);
    view.setUint32(at + 20, 0xffffffff, true);
    view.setUint32(at + 24, 0xffffffff, true);
    expect(() => parseTorchStateDict(grown, VIEWS)).to.throw(TorchFileError, /defers its sizes to a ZIP64 extra field it does not have/);
  });

  it('refuses an archive without its version record, and bytes between the directory and its end record', () => {
    const bytes = torchFixtureBytes(VIEWS);
    const entries = [...readZipDirectory(bytes, VIEWS).values()];
    const without = zipArchive(entries.filter((e) => !e.name.endsWith('/version')).map((e) => ({ name: e.name, data: zipEntryData(bytes, e, VIEWS) })));
    expect(() => parseTorchStateDict(without, VIEWS)).to.throw(TorchFileError, /zip: no views\/version record/);
    // torch's writer puts a ZIP64 end record (56 bytes) and its locator (20) before the end record (22).
    const record = bytes.length - 22 - 20 - 56;
    const gap = new Uint8Array([...bytes.subarray(0, record), 0, 0, 0, 0, ...bytes.subarray(record)]);
    expect(() => parseTorchStateDict(gap, VIEWS)).to.throw(TorchFileError, /zip: no ZIP64 end of central directory record at byte \d+/);
    const locator = bytes.length - 22 - 20;
    const stretched = new Uint8Array([...bytes.subarray(0, locator), 0, 0, 0, 0, ...bytes.subarray(locator)]);
    expect(() => parseTorchStateDict(stretched, VIEWS)).to.throw(TorchFileError, /zip: the ZIP64 end record at byte \d+ does not end at its locator/);
  });

  it('refuses a zip that torch.save did not write, and a file that is neither format', () => {
    const other = zipArchive([{ name: 'notes.txt', data: new TextEncoder().encode('hello') }]);
    expect(() => parseTorchFile(other, 'notes.zip')).to.throw(TorchFileError, /notes\.zip: zip: no <folder>\/data\.pkl entry/);
    expect(() => parseTorchFile(new TextEncoder().encode('{"a": 1}'), 'a.json')).to.throw(TorchFileError, /a\.json: not a torch\.save file/);
  });
});

describe('io/torch: the legacy format', () => {
  const LEGACY = 'views_legacy.pth';

  it('refuses a wrong magic number', () => {
    const bytes = torchFixtureBytes(LEGACY);
    bytes[6] ^= 1;
    expect(() => parseTorchStateDict(bytes, LEGACY)).to.throw(TorchFileError, /not a torch\.save file \(the legacy format starts with its magic number\)/);
  });

  it('refuses a storage count that disagrees with the pickle, and a truncated storage', () => {
    const bytes = torchFixtureBytes(LEGACY);
    expect(() => parseTorchStateDict(bytes.subarray(0, bytes.length - 3), LEGACY)).to.throw(TorchFileError, /run past the end of the file/);
    // The storages follow the last pickle, the list of storage keys (digits, so its first '.' is STOP).
    const keyList = Buffer.from(bytes).lastIndexOf(Buffer.from([0x80, 0x02, 0x5d])); // PROTO 2, EMPTY_LIST
    const firstCount = bytes.indexOf(0x2e, keyList) + 1;
    const view = new DataView(bytes.buffer);
    view.setBigInt64(firstCount, view.getBigInt64(firstCount, true) + 1n, true);
    expect(() => parseTorchStateDict(bytes, LEGACY)).to.throw(TorchFileError, /views_legacy\.pth: storage '\d+' has \d+ elements in the data section, but its tensors' id says \d+/);
  });
});

describe('io/torch: gathering strided tensors', () => {
  it('charges copies to a budget of twice the file length', () => {
    const storage = new TorchStorage('0', 'F32', 4, 'cpu');
    storage.setBytes(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    const broadcast = new TorchTensor(storage, 0, [1000, 4], [0, 1], false);
    const budget = { remaining: 20_000 };
    const views = new StorageViews('b.pth', budget);
    const got = materializeTensor(broadcast, views, budget, "tensor 'b'", 'b.pth');
    expect([...got.data.slice(4, 8)]).to.deep.equal([1, 2, 3, 4]);
    expect(budget.remaining).to.equal(4000);
    expect(() => materializeTensor(broadcast, views, budget, "tensor 'b'", 'b.pth')).to.throw(TorchFileError, /b\.pth: tensor 'b' \(a strided view\) needs a copy of 16000 bytes, more than the file's size justifies/);
  });
});
