/**
 * A reader for the ZIP archives `torch.save` writes (docs/torch-checkpoints.md, "The zip format"):
 * the central directory, its ZIP64 extension, and entries stored without compression, checked
 * against their CRC-32. Field layouts follow PKWARE's APPNOTE.TXT (sections 4.3.7 local file
 * header, 4.3.12 central directory header, 4.3.14-4.3.16 end of central directory records,
 * 4.5.3 the ZIP64 extended information field).
 *
 * Entries are views into the given bytes: nothing is allocated from a size the archive claims,
 * and every offset and size is checked against the bytes present before it is used.
 */
import { crc32 } from '../../engine/crc32';
import { TorchFileError } from './errors';

/** One stored entry of the archive. */
export interface ZipEntry {
  name: string;
  /** Offset of the entry's data in the archive (after its local header). */
  dataOffset: number;
  size: number;
  /** The CRC-32 the central directory records for the data. */
  crc32: number;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_SIZE = 22;
const ZIP64_END_SIZE = 56;
const ZIP64_LOCATOR_SIZE = 20;
/** The end record's comment is at most this long, so the record lies in the last 65,557 bytes. */
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
/** A 32-bit (or 16-bit) field holding this value defers to the ZIP64 record or extra field. */
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
const METHOD_STORED = 0;
const FLAG_ENCRYPTED = 0x1;

/** Reads little-endian fields, failing with the archive's name when a field lies past the end. */
class FieldReader {
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private check(offset: number, size: number, what: string): void {
    if (offset < 0 || offset + size > this.bytes.length) {
      throw new TorchFileError(this.source, `zip: ${what} at byte ${offset} runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }

  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  /** A 64-bit field as a number; values beyond 2^53 cannot describe bytes present, so they fail. */
  u64(offset: number, what: string): number {
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TorchFileError(this.source, `zip: ${what} is ${value}, beyond any file size`);
    return Number(value);
  }

  text(offset: number, length: number, what: string): string {
    this.check(offset, length, what);
    // Names are UTF-8 (general purpose flag bit 11) or plain ASCII in what torch writes.
    return new TextDecoder('utf-8').decode(this.bytes.subarray(offset, offset + length));
  }
}

interface Directory {
  offset: number;
  size: number;
  count: number;
}

/** The ZIP64 end record's offset, when a ZIP64 locator stands just before the end record. */
function zip64Record(fields: FieldReader, end: number): number | null {
  const locator = end - ZIP64_LOCATOR_SIZE;
  if (locator < 0 || fields.u32(locator, 'zip64 locator') !== ZIP64_LOCATOR_SIGNATURE) return null;
  return fields.u64(locator + 8, 'zip64 end record offset');
}

/** Finds the end of central directory record, searching back over a possible comment. */
function findEnd(bytes: Uint8Array, fields: FieldReader, source: string): number {
  const last = bytes.length - END_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (bytes[at] !== 0x50 || bytes[at + 1] !== 0x4b) continue;
    if (fields.u32(at, 'end record') === END_SIGNATURE && at + END_SIZE + fields.u16(at + 20, 'comment length') === bytes.length) return at;
  }
  throw new TorchFileError(source, 'zip: no end of central directory record (the archive is truncated or not a zip file)');
}

function readDirectory(bytes: Uint8Array, fields: FieldReader, source: string): Directory {
  const end = findEnd(bytes, fields, source);
  if (fields.u16(end + 4, 'disk number') !== 0 || fields.u16(end + 6, 'directory disk') !== 0) {
    throw new TorchFileError(source, 'zip: multi-disk archives are not supported');
  }
  let count = fields.u16(end + 10, 'entry count');
  const onDisk = fields.u16(end + 8, 'entries on this disk');
  if (onDisk !== count) throw new TorchFileError(source, `zip: the end record counts ${onDisk} entries on this disk but ${count} in all`);
  let size = fields.u32(end + 12, 'central directory size');
  let offset = fields.u32(end + 16, 'central directory offset');
  // The directory ends where the ZIP64 end record (when there is one) or the end record begins.
  let directoryEnd = end;
  const record = zip64Record(fields, end);
  if (record !== null) {
    // torch.save's writer (miniz) always adds a ZIP64 end record; it must fill the space up to the
    // locator and agree with the end record wherever that one does not defer to it.
    const locator = end - ZIP64_LOCATOR_SIZE;
    if (record + ZIP64_END_SIZE > locator || fields.u32(record, 'zip64 end record') !== ZIP64_END_SIGNATURE) {
      throw new TorchFileError(source, `zip: no ZIP64 end of central directory record at byte ${record}`);
    }
    if (record + 12 + fields.u64(record + 4, 'zip64 end record size') !== locator) {
      throw new TorchFileError(source, `zip: the ZIP64 end record at byte ${record} does not end at its locator (byte ${locator})`);
    }
    const wide = {
      onDisk: fields.u64(record + 24, 'zip64 entries on this disk'), count: fields.u64(record + 32, 'zip64 entry count'),
      size: fields.u64(record + 40, 'zip64 central directory size'), offset: fields.u64(record + 48, 'zip64 central directory offset'),
    };
    const disagrees = wide.onDisk !== wide.count || (count !== U16_MAX && count !== wide.count) ||
      (size !== U32_MAX && size !== wide.size) || (offset !== U32_MAX && offset !== wide.offset);
    if (disagrees) throw new TorchFileError(source, 'zip: the ZIP64 end record and the end record describe different directories');
    ({ count, size, offset } = wide);
    directoryEnd = record;
  } else if (count === U16_MAX || size === U32_MAX || offset === U32_MAX) {
    throw new TorchFileError(source, 'zip: the end record defers to a ZIP64 record, but there is no ZIP64 locator before it');
  }
  if (offset + size !== directoryEnd) {
    throw new TorchFileError(source, `zip: the central directory [${offset}, ${offset + size}) does not end where the end records begin (byte ${directoryEnd})`);
  }
  if (count * CENTRAL_HEADER_SIZE > size) {
    throw new TorchFileError(source, `zip: ${count} entries cannot fit in a central directory of ${size} bytes`);
  }
  return { offset, size, count };
}

/** Sizes and offset from the ZIP64 extra field, for the 32-bit fields that hold 0xFFFFFFFF. */
function applyZip64(
  fields: FieldReader, extraStart: number, extraLength: number, values: { size: number; compressed: number; local: number },
  name: string, source: string,
): void {
  let at = extraStart;
  const end = extraStart + extraLength;
  while (at + 4 <= end) {
    const id = fields.u16(at, 'extra field id');
    const length = fields.u16(at + 2, 'extra field length');
    if (at + 4 + length > end) throw new TorchFileError(source, `zip: entry '${name}' has an extra field running past its extra data`);
    if (id === ZIP64_EXTRA_ID) {
      let p = at + 4;
      const take = (what: string): number => {
        if (p + 8 > at + 4 + length) throw new TorchFileError(source, `zip: entry '${name}' has a ZIP64 field too short for its ${what}`);
        const v = fields.u64(p, what);
        p += 8;
        return v;
      };
      if (values.size === U32_MAX) values.size = take('size');
      if (values.compressed === U32_MAX) values.compressed = take('compressed size');
      if (values.local === U32_MAX) values.local = take('local header offset');
      return;
    }
    at += 4 + length;
  }
  if (values.size === U32_MAX || values.compressed === U32_MAX || values.local === U32_MAX) {
    throw new TorchFileError(source, `zip: entry '${name}' defers its sizes to a ZIP64 extra field it does not have`);
  }
}

/**
 * The entries of a zip archive, by name. Only stored (uncompressed), unencrypted entries are
 * accepted, as `torch.save` writes them; each entry's data must lie inside the file.
 */
export function readZipDirectory(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const fields = new FieldReader(bytes, source);
  const directory = readDirectory(bytes, fields, source);
  const entries = new Map<string, ZipEntry>();
  let at = directory.offset;
  const end = directory.offset + directory.size;
  for (let i = 0; i < directory.count; i++) {
    if (at + CENTRAL_HEADER_SIZE > end || fields.u32(at, 'central directory header') !== CENTRAL_HEADER_SIGNATURE) {
      throw new TorchFileError(source, `zip: central directory entry ${i} at byte ${at} is not a central directory header`);
    }
    const flags = fields.u16(at + 8, 'flags');
    const method = fields.u16(at + 10, 'compression method');
    const crc = fields.u32(at + 16, 'crc-32');
    const values = { compressed: fields.u32(at + 20, 'compressed size'), size: fields.u32(at + 24, 'size'), local: fields.u32(at + 42, 'local header offset') };
    const nameLength = fields.u16(at + 28, 'name length');
    const extraLength = fields.u16(at + 30, 'extra length');
    const commentLength = fields.u16(at + 32, 'comment length');
    const next = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (next > end) throw new TorchFileError(source, `zip: central directory entry ${i} runs past the directory's end`);
    const name = fields.text(at + CENTRAL_HEADER_SIZE, nameLength, 'entry name');
    applyZip64(fields, at + CENTRAL_HEADER_SIZE + nameLength, extraLength, values, name, source);
    if (flags & FLAG_ENCRYPTED) throw new TorchFileError(source, `zip: entry '${name}' is encrypted`);
    if (method !== METHOD_STORED) {
      throw new TorchFileError(source, `zip: entry '${name}' is compressed (method ${method}); torch.save stores entries uncompressed, so re-save the file with torch.save`);
    }
    if (values.compressed !== values.size) {
      throw new TorchFileError(source, `zip: stored entry '${name}' has compressed size ${values.compressed} but size ${values.size}`);
    }
    const local = values.local;
    if (fields.u32(local, `local header of '${name}'`) !== LOCAL_HEADER_SIGNATURE) {
      throw new TorchFileError(source, `zip: entry '${name}' has no local file header at byte ${local}`);
    }
    const dataOffset = local + LOCAL_HEADER_SIZE + fields.u16(local + 26, 'local name length') + fields.u16(local + 28, 'local extra length');
    if (dataOffset + values.size > bytes.length) {
      throw new TorchFileError(source, `zip: entry '${name}' claims ${values.size} bytes at byte ${dataOffset}, past the end of the file (${bytes.length} bytes)`);
    }
    if (entries.has(name)) throw new TorchFileError(source, `zip: entry '${name}' appears twice`);
    entries.set(name, { name, dataOffset, size: values.size, crc32: crc });
    at = next;
  }
  return entries;
}

/** An entry's bytes (a view, not a copy), after checking them against the recorded CRC-32. */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, source: string): Uint8Array {
  const data = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.size);
  const actual = crc32(data);
  if (actual !== entry.crc32) {
    throw new TorchFileError(source, `zip: entry '${entry.name}' fails its CRC-32 check (recorded ${hex(entry.crc32)}, computed ${hex(actual)}): the file is corrupt`);
  }
  return data;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
