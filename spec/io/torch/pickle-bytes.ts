/**
 * Writing pickles opcode by opcode for the unpickler specs (pickle protocol as Python's
 * `pickletools` documents it): each helper returns the bytes of one opcode with its argument.
 */
export type Piece = number | readonly number[] | Uint8Array;

export function bytesOf(...pieces: Piece[]): Uint8Array {
  const out: number[] = [];
  for (const p of pieces) {
    if (typeof p === 'number') out.push(p);
    else for (const b of p) out.push(b);
  }
  return new Uint8Array(out);
}

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export const op = {
  proto: (v = 2): number[] => [0x80, v],
  stop: 0x2e,
  mark: 0x28,
  none: 0x4e,
  true: 0x88,
  false: 0x89,
  emptyTuple: 0x29,
  emptyList: 0x5d,
  emptyDict: 0x7d,
  tuple: 0x74,
  tuple1: 0x85,
  tuple2: 0x86,
  append: 0x61,
  appends: 0x65,
  setitem: 0x73,
  setitems: 0x75,
  reduce: 0x52,
  build: 0x62,
  binpersid: 0x51,
  pop: 0x30,
  int1: (n: number): number[] => [0x4b, n],
  int4: (n: number): number[] => [0x4a, ...u32(n)],
  long1: (le: readonly number[]): number[] => [0x8a, le.length, ...le],
  float: (x: number): number[] => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return [0x47, ...b];
  },
  unicode: (s: string): number[] => {
    const b = new TextEncoder().encode(s);
    return [0x58, ...u32(b.length), ...b];
  },
  /** BINUNICODE claiming `length` bytes, followed by only what the caller appends. */
  unicodeClaiming: (length: number): number[] => [0x58, ...u32(length)],
  global: (module: string, name: string): number[] => [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)],
  put: (i: number): number[] => [0x71, i],
  get: (i: number): number[] => [0x68, i],
};
