/**
 * `bnext convert`: a weights file bnext reads (a torch.save `.pth`/`.pth.tar`/`.pt` file in either
 * format, or safetensors) written as safetensors, tensor for tensor: the same names (a `module.`
 * prefix included), shapes and element types, so nothing is rounded (docs/torch-checkpoints.md).
 */
import { basename } from 'node:path';
import type { Command } from '../command';
import { parseArgs, requireOption, UsageError } from '../args';
import { describeCheckpointUse, weightsSourceOf } from '../../io/weights-file';
import { writeSafetensors, readWeightsFile } from '../../io/files';
import { stateDictKeyUsage, WEIGHTS_VALUED, weightsOptionsFrom } from '../model-io';

const USAGE = `usage: bnext convert IN --out OUT.safetensors [--state-dict-key K]

Reads a state_dict and writes it as safetensors (atomically): IN is a torch.save file (.pth,
.pth.tar, .pt; the zip format of torch >= 1.6 or the legacy one; a state_dict or a checkpoint
dict holding one) or a safetensors file. Names, shapes and element types are kept as stored.
Pickles are read by a restricted unpickler that refuses anything but tensors and plain values.

  --out OUT              the safetensors file to write
${stateDictKeyUsage(25)}`;

export const convert: Command = {
  name: 'convert',
  summary: 'write a torch.save checkpoint (.pth/.pth.tar/.pt) as safetensors',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, ['out', ...WEIGHTS_VALUED], [], 'convert');
    if (args.positionals.length !== 1) throw new UsageError(`convert: give one input file, got ${args.positionals.length}`);
    const [input] = args.positionals;
    const out = requireOption(args, 'out', 'convert');
    if (!out.endsWith('.safetensors')) throw new UsageError(`convert: --out must name a .safetensors file, got '${out}'`);
    const file = readWeightsFile(input, weightsOptionsFrom(args));
    const metadata = file.format === 'safetensors' ? file.metadata : { format: 'pt', source: basename(input) };
    writeSafetensors(out, file.tensors, metadata);
    const note = describeCheckpointUse(weightsSourceOf(file), input);
    if (note) console.error(note);
    const dtypes = new Map<string, number>();
    for (const t of file.tensors.values()) dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + 1);
    const counts = [...dtypes].map(([d, n]) => `${n} ${d}`).join(', ');
    console.log(`wrote ${out}: ${file.tensors.size} tensors (${counts}) from ${input} (${file.format})`);
    return 0;
  },
};
