/**
 * The sizes of a model's files, computed in memory (nothing written): the float32 safetensors
 * state_dict, the .bnx file with everything but the binary weights float32, and the .bnx file
 * with the paper's post-training quantization (`bnext pack --quantize paper`): BNext-T's packed
 * and quantized file is 1/20 of its float32 one (paper Table 7's deployment setting;
 * `npm run bench -- xnor` prints the sizes).
 *
 *     console.log(bnxSizeLine(bnextT, 'BNext-T'));
 */
import { serializeSafetensors } from '../io/safetensors';
import { storedOf } from '../nn/serialize';
import type { BNextModel } from '../models/factory';
import { serializeBnx } from '../engine/bnx';
import { bnxContentsOf } from '../engine/load';
import { parseQuantization } from './scheme';

export interface FileSizes {
  /** The float32 safetensors state_dict (what `bnext train` writes), bytes. */
  safetensors: number;
  /** .bnx, binary weights at 1 bit and every other tensor float32, bytes. */
  bnx: number;
  /** .bnx with `--quantize paper` (8/8-4/8-4/8-8/8), bytes. */
  bnxPaper: number;
}

/** The three file sizes of a fully binary model, exact to the byte. */
export function bnxFileSizes(model: BNextModel): FileSizes {
  const entries = new Map([...model.stateDict()].map(([k, v]) => [k, storedOf(v)]));
  return {
    safetensors: serializeSafetensors(entries).length,
    bnx: serializeBnx(bnxContentsOf(model)).length,
    bnxPaper: serializeBnx(bnxContentsOf(model, { quantize: parseQuantization('paper') })).length,
  };
}

/** One line for a report: the sizes in MiB and bytes and the ratios to the float32 file. */
export function bnxSizeLine(model: BNextModel, name: string): string {
  const s = bnxFileSizes(model);
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB (${b} bytes)`;
  const ratio = (b: number): string => `1/${(s.safetensors / b).toFixed(2)}`;
  return `${name} files: .bnx (float32 rest) ${mib(s.bnx)}, .bnx --quantize paper ${mib(s.bnxPaper)}, ` +
    `float32 safetensors ${mib(s.safetensors)}: ${ratio(s.bnx)} and ${ratio(s.bnxPaper)}`;
}
