/**
 * A deliberately faulty "parser" for the fuzzer's own spec: by its input's first byte it
 * decodes like its seed, decodes to something no reference checks, throws a TypeError, allocates
 * 8 GB, runs slowly, never returns, decodes differently from its reference, agrees with it, or
 * refuses properly. Each must be classified as
 * such, or the fuzzer's oracle could not fail.
 */
import type { FuzzTarget } from '../../fuzz/target';

const SEED = new Uint8Array([0, 1, 2, 3]);

function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

const canary: FuzzTarget = {
  name: 'canary',
  seeds: () => [{ name: 'canary seed', bytes: SEED }],
  decode(bytes, source) {
    switch (bytes[0] ?? 8) {
      case 0: return 'seed';
      case 1: return 'changed, no reference';
      case 2: throw new TypeError("Cannot read properties of undefined (reading 'x')");
      case 3: return String(new Float64Array(2 ** 30).length);
      case 4: spin(600); return 'seed';
      case 5: for (;;) spin(1000);
      case 6: return 'wrong';
      case 7: return 'changed';
      default: throw new Error(`${source}: refused`);
    }
  },
  reference: (bytes) => (bytes[0] === 6 ? 'right' : bytes[0] === 7 ? 'changed' : null),
  mutators: [(bytes, rng) => {
    const out = bytes.slice();
    out[0] = rng.int(9);
    return { bytes: out, what: `first byte = ${out[0]}` };
  }],
  allocationBound: (length) => 1024 + length,
};

export const TARGETS: Record<string, FuzzTarget> = { canary };
