/**
 * Fuzzing the .npy reader (src/io/npy.ts). The reference decode finds `descr`, `fortran_order`
 * and `shape` in the header with regular expressions (not the reader's literal parser) and takes
 * the bytes after the header; the reader must agree with it on every file it accepts.
 * Format-aware mutations rewrite the header's shape (huge, negative, many or nested dimensions),
 * descr, fortran_order, version and header length.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../../src/io/npy';
import { DTYPE_SIZE, type StoredDType } from '../../src/io/stored';
import type { Rng } from '../../src/tensor/random';
import { interestingValue, type Mutated, type Mutator, writeLittleEndian } from '../mutate';
import { digestArrays, type FuzzTarget, MIB, ReferenceRejects } from '../target';

const DESCR_DTYPE: Readonly<Record<string, StoredDType>> = {
  '<f2': 'F16', '<f4': 'F32', '<f8': 'F64', '<i2': 'I16', '<i4': 'I32', '<i8': 'I64', '|i1': 'I8', '|u1': 'U8', '|b1': 'BOOL',
};

function seeds(): { name: string; bytes: Uint8Array }[] {
  const dir = 'fixtures/io/npy';
  return readdirSync(dir).filter((f) => f.endsWith('.npy')).sort().map((f) => ({ name: join(dir, f), bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

interface Layout {
  major: number;
  prefix: number;
  text: string;
  data: Uint8Array;
}

function layout(bytes: Uint8Array): Layout | null {
  if (bytes.length < 10) return null;
  const major = bytes[6];
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (prefix + n > bytes.length) return null;
  return { major, prefix, text: Buffer.from(bytes.subarray(prefix, prefix + n)).toString('latin1'), data: bytes.subarray(prefix + n) };
}

function withHeader(bytes: Uint8Array, l: Layout, text: string): Uint8Array {
  const header = Buffer.from(text, 'latin1');
  const major = header.length > 0xffff && l.major === 1 ? 2 : l.major;
  const prefix = major === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + header.length + l.data.length);
  out.set(bytes.subarray(0, 6));
  out[6] = major;
  out[7] = 0;
  writeLittleEndian(out, 8, major === 1 ? 2 : 4, BigInt(header.length));
  out.set(header, prefix);
  out.set(l.data, prefix + header.length);
  return out;
}

function shapeText(rng: Rng): string {
  switch (rng.int(5)) {
    case 0: return `(${interestingValue(rng)},)`;
    case 1: return `(${interestingValue(rng)}, ${interestingValue(rng)})`;
    case 2: return `(${Array.from({ length: 1 + rng.int(40) }, () => rng.int(3)).join(', ')})`;
    case 3: return `${'('.repeat(1 + rng.int(5000))}1,${')'.repeat(rng.int(5000))}`;
    default: return ['()', '(-1, 3)', '(2.5,)', "('3',)", '[2, 3]', '(True,)', '(0, 0)', '(1e3,)'][rng.int(8)];
  }
}

function headerMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const l = layout(bytes);
  if (!l) return { bytes, what: 'header unreadable: unchanged' };
  let text = l.text;
  let what: string;
  switch (rng.int(4)) {
    case 0: {
      const shape = shapeText(rng);
      text = text.replace(/'shape':\s*(\([^)]*\)|\[[^\]]*\])/, `'shape': ${shape}`);
      what = `shape = ${shape.length > 40 ? `${shape.slice(0, 40)}...` : shape}`;
      break;
    }
    case 1: {
      const descr = ["'<f4'", "'<f8'", "'<i8'", "'>f4'", "'|O'", "'<U4'", "'<c8'", "[('a', '<f4')]", "'<f3'", "'|b1'"][rng.int(10)];
      text = text.replace(/'descr':\s*'[^']*'/, `'descr': ${descr}`);
      what = `descr = ${descr}`;
      break;
    }
    case 2:
      text = text.replace(/False/, ['True', '0', 'None', "'no'"][rng.int(4)]);
      what = 'fortran_order changed';
      break;
    default: {
      const at = rng.int(text.length + 1);
      const piece = ["'x': 1, ", '{', '}', "'shape': (2,), ", '\\', '"', '#', '\u00ff'][rng.int(8)];
      text = text.slice(0, at) + piece + text.slice(at);
      what = `header text: insert ${JSON.stringify(piece)} at ${at}`;
    }
  }
  return { bytes: withHeader(bytes, l, text), what };
}

function prefixMutation(bytes: Uint8Array, rng: Rng): Mutated {
  const out = bytes.slice();
  if (rng.uniform() < 0.4) {
    out[6] = [0, 1, 2, 3, 4, 255][rng.int(6)];
    return { bytes: out, what: `version byte = ${out[6]}` };
  }
  const value = interestingValue(rng);
  writeLittleEndian(out, 8, out[6] === 1 ? 2 : 4, value);
  return { bytes: out, what: `header length = ${value}` };
}

export const npyTarget: FuzzTarget = {
  name: 'npy',
  seeds,
  decode(bytes, source) {
    const arr = parseNpy(bytes, source);
    return digestArrays([['array', arr]]);
  },
  reference(bytes) {
    const l = layout(bytes);
    if (!l || bytes[7] !== 0 || l.major < 1 || l.major > 3) throw new ReferenceRejects('prefix');
    const descr = /'descr':\s*'([^']*)'/.exec(l.text)?.[1];
    const fortran = /'fortran_order':\s*(True|False)/.exec(l.text)?.[1];
    const shapeText = /'shape':\s*\(([^()]*)\)/.exec(l.text)?.[1];
    const dtype = descr === undefined ? undefined : DESCR_DTYPE[descr === '<u1' || descr === '<b1' ? `|${descr.slice(1)}` : descr];
    if (!dtype || fortran !== 'False' || shapeText === undefined) throw new ReferenceRejects('header');
    const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new ReferenceRejects('shape');
    const needed = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype];
    if (l.data.length !== needed) throw new ReferenceRejects('data length');
    return digestArrays([['array', { dtype, shape, data: l.data }]]);
  },
  mutators: [headerMutation, prefixMutation] satisfies Mutator[],
  // The array is a view of the input or one copy of it (misaligned data).
  allocationBound: (length) => 2 * length + MIB,
};
