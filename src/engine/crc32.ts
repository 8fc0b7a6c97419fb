/**
 * CRC-32 as zlib, PNG and gzip compute it (IEEE 802.3 polynomial, reflected: 0xEDB88320, initial
 * and final XOR 0xFFFFFFFF), the checksum of .bnx files (docs/bnx-format.md). Table-driven, one
 * byte per step. The check value: crc32("123456789") = 0xCBF43926.
 */

const TABLE: Int32Array = buildTable();

function buildTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** CRC-32 of `bytes`, as an unsigned 32-bit number; `previous` continues an earlier checksum. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const t = TABLE;
  let c = ~previous;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
