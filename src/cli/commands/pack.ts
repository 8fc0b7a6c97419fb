/**
 * `bnext pack`: writes a fully binary model as a .bnx file (docs/bnx-format.md), binary-conv
 * weights at 1 bit and everything else float32, for the packed engine
 * (`bnext forward --engine xnor --weights M.bnx`). With `--quantize`, the stem, the
 * squeeze-and-expand convolutions and the classifier are stored as 8- or 4-bit codes (paper
 * appendix 7.5, Eqs. 5 and 6; src/quantize/).
 */
import { statSync } from 'node:fs';
import type { Command } from '../command';
import { parseArgs, requireOption, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { resolveConfig } from '../../models/factory';
import { loadModel, stateDictKeyUsage, WEIGHTS_VALUED, weightsOptionsFrom } from '../model-io';
import { writeBnx } from '../../engine/bnx-file';
import { bnxContentsOf } from '../../engine/load';
import { parseQuantization, type QuantizationScheme } from '../../quantize/scheme';

const USAGE = `usage: bnext pack --arch A [options] --weights W --out M.bnx [--quantize Q]

Packs a state_dict whose binary convolutions are fully binary (temperature below the threshold:
1e-7 for BNext, 1e-5 for BNext-18) into a .bnx file: binary-conv weights at 1 bit, every other
float tensor as float32, with the architecture, a tensor table and a CRC-32.
${ARCH_USAGE}
  --weights W            state_dict with PyTorch names (a 'module.' prefix is stripped):
                         safetensors or a torch.save file (.pth/.pth.tar/.pt)
${stateDictKeyUsage(25)}
  --out M                the .bnx file to write (atomically)
  --quantize Q           post-training quantization (paper Table 1 "Q", Table 7, Eqs. 5-6):
                           none   everything float32 (default)
                           paper  8/8-4/8-4/8-8/8: stem weights 8-bit; squeeze-and-expand
                                  weights 4-bit, their inputs 8-bit; classifier 8/8
                           w8     8/8-8/8-8/8-8/8: all of those 8-bit
                         or weight/activation bits for input layer-squeeze-expand-output, as in
                         Table 7 (weights 4, 8 or 32; activations 2-8 or 32 = float). Inputs are
                         quantized at run time, per sample, from their own min and max.`;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

function schemeFrom(value: string | undefined): QuantizationScheme | null {
  if (value === undefined) return null;
  try {
    return parseQuantization(value);
  } catch (e) {
    throw new UsageError(`pack: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export const pack: Command = {
  name: 'pack',
  summary: 'write a fully binary model as a .bnx file for the packed XNOR engine',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'weights', 'out', 'quantize', ...WEIGHTS_VALUED], [...ARCH_FLAGS], 'pack');
    const config = resolveConfig(archOptionsFrom(args, 'pack'));
    const weights = requireOption(args, 'weights', 'pack');
    const out = requireOption(args, 'out', 'pack');
    const quantize = schemeFrom(args.options.get('quantize'));
    const contents = bnxContentsOf(loadModel(config, weights, weightsOptionsFrom(args)), { quantize });
    writeBnx(out, contents);
    let bits = 0;
    let floats = 0;
    for (const p of contents.binary.values()) bits += p.outChannels * p.inChannels * p.kernelSize * p.kernelSize;
    for (const t of contents.floats.values()) floats += t.size;
    const byBits = new Map<number, number>();
    for (const q of contents.quantized.values()) byBits.set(q.weight.bits, (byBits.get(q.weight.bits) ?? 0) + q.weight.codes.length);
    const quantized = [...byBits].sort(([a], [b]) => a - b).map(([b, n]) => `, ${n} weights at ${b} bits`).join('');
    const size = statSync(out).size;
    const source = statSync(weights).size;
    console.log(
      `wrote ${out}: ${mib(size)} (${bits} binary weights at 1 bit, ${floats} float32 values${quantized})` +
      `${quantize ? ` quantized ${quantize.name}` : ''}; ${weights}: ${mib(source)}, ${(source / size).toFixed(1)}x larger`,
    );
    return 0;
  },
};
