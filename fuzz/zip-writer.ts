/**
 * Writing small stored zip archives, for the specs and the fuzzer (PKWARE APPNOTE.TXT 4.3: local
 * headers, the central directory, the end records; with `zip64`, every size and offset deferred to
 * ZIP64 extra fields and a ZIP64 end record, as writers do for archives beyond 4 GiB).
 */
import { crc32 } from '../src/engine/crc32';

export interface ZipInput {
  name: string;
  data: Uint8Array;
}

class Bytes {
  private readonly parts: number[] = [];

  get length(): number {
    return this.parts.length;
  }

  u16(n: number): this {
    this.parts.push(n & 0xff, (n >>> 8) & 0xff);
    return this;
  }

  u32(n: number): this {
    return this.u16(n & 0xffff).u16(n >>> 16);
  }

  u64(n: number): this {
    return this.u32(n % 2 ** 32).u32(Math.floor(n / 2 ** 32));
  }

  raw(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }

  done(): Uint8Array {
    return new Uint8Array(this.parts);
  }
}

export function zipArchive(entries: ZipInput[], options: { zip64?: boolean } = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const out = new Bytes();
  const central = new Bytes();
  for (const { name, data } of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const offset = out.length;
    out.u32(0x04034b50).u16(zip64 ? 45 : 20).u16(0).u16(0).u16(0).u16(0).u32(crc);
    out.u32(zip64 ? 0xffffffff : data.length).u32(zip64 ? 0xffffffff : data.length).u16(nameBytes.length).u16(zip64 ? 20 : 0).raw(nameBytes);
    if (zip64) out.u16(1).u16(16).u64(data.length).u64(data.length);
    out.raw(data);
    central.u32(0x02014b50).u16(zip64 ? 45 : 20).u16(zip64 ? 45 : 20).u16(0).u16(0).u16(0).u16(0).u32(crc);
    central.u32(zip64 ? 0xffffffff : data.length).u32(zip64 ? 0xffffffff : data.length).u16(nameBytes.length).u16(zip64 ? 28 : 0);
    central.u16(0).u16(0).u16(0).u32(0).u32(zip64 ? 0xffffffff : offset).raw(nameBytes);
    if (zip64) central.u16(1).u16(24).u64(data.length).u64(data.length).u64(offset);
  }
  const directoryOffset = out.length;
  const directory = central.done();
  out.raw(directory);
  if (zip64) {
    const record = out.length;
    out.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(entries.length).u64(entries.length).u64(directory.length).u64(directoryOffset);
    out.u32(0x07064b50).u32(0).u64(record).u32(1);
    out.u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(0);
  } else {
    out.u32(0x06054b50).u16(0).u16(0).u16(entries.length).u16(entries.length).u32(directory.length).u32(directoryOffset).u16(0);
  }
  return out.done();
}
