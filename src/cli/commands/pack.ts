/**
 * `bnext pack`: writes a fully binary model as a .bnx file (docs/bnx-format.md), binary-conv
 * weights at 1 bit and everything else float32, for the packed engine
 * (`bnext forward --engine xnor --weights M.bnx`).
 */
import { statSync } from 'node:fs';
import type { Command } from '../command';
import { parseArgs, requireOption } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { resolveConfig } from '../../models/factory';
import { loadModel } from '../model-io';
import { writeBnx } from '../../engine/bnx';
import { bnxContentsOf } from '../../engine/load';

const USAGE = `usage: bnext pack --arch A [options] --weights W.safetensors --out M.bnx

Packs a state_dict whose binary convolutions are fully binary (temperature below the threshold:
1e-7 for BNext, 1e-5 for BNext-18) into a .bnx file: binary-conv weights at 1 bit, every other
float tensor as float32, with the architecture, a tensor table and a CRC-32.
${ARCH_USAGE}
  --weights W            state_dict (safetensors, PyTorch names; a 'module.' prefix is stripped)
  --out M                the .bnx file to write (atomically)`;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

export const pack: Command = {
  name: 'pack',
  summary: 'write a fully binary model as a .bnx file for the packed XNOR engine',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'weights', 'out'], [...ARCH_FLAGS], 'pack');
    const config = resolveConfig(archOptionsFrom(args, 'pack'));
    const weights = requireOption(args, 'weights', 'pack');
    const out = requireOption(args, 'out', 'pack');
    const contents = bnxContentsOf(loadModel(config, weights));
    writeBnx(out, contents);
    let bits = 0;
    let floats = 0;
    for (const p of contents.binary.values()) bits += p.outChannels * p.inChannels * p.kernelSize * p.kernelSize;
    for (const t of contents.floats.values()) floats += t.size;
    const size = statSync(out).size;
    const source = statSync(weights).size;
    console.log(`wrote ${out}: ${mib(size)} (${bits} binary weights at 1 bit, ${floats} float32 values); ${weights}: ${mib(source)}, ${(source / size).toFixed(1)}x larger`);
    return 0;
  },
};
