/** `bnext stats`: parameters, BOPs, FLOPs, OPs and size per stage and in total (paper Table 2). */
import type { Command } from '../command';
import { intOption, parseArgs } from '../args';
import { IMAGE_SIDE } from '../../tensor/arguments';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { buildModel, resolveConfig } from '../../models/factory';
import { countModel, type ModelStats, tableRowOf } from '../../models/stats';
import { withoutInit } from '../../nn/init';

const USAGE = `usage: bnext stats --arch A [options] [--resolution R] [--json]

Counts parameters, binary parameters, BOPs (MACs of binary convs), FLOPs (MACs of the other
convs and linear layers), OPs = BOPs/64 + FLOPs and the size with 1-bit binary weights.

${ARCH_USAGE}
  --resolution R         input height and width (default 224)
  --json                 print one JSON object with the totals`;

function formatRow(name: string, s: ModelStats): string {
  const sci = (v: number): string => v.toExponential(4);
  return `${name.padEnd(16)} ${String(s.params).padStart(12)} ${String(s.binaryParams).padStart(12)} ${sci(s.bops).padStart(11)} ${sci(s.flops).padStart(11)} ${sci(s.ops).padStart(11)} ${s.sizeMiB.toFixed(2).padStart(9)}`;
}

export const stats: Command = {
  name: 'stats',
  summary: 'parameter, BOP, FLOP and size counts of an architecture (paper Table 2)',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'resolution'], [...ARCH_FLAGS, 'json'], 'stats');
    const resolution = intOption(args, 'resolution', 224, 'stats', IMAGE_SIDE);
    const config = resolveConfig(archOptionsFrom(args, 'stats'));
    // Counting does not depend on the weights: skip drawing them.
    const model = withoutInit(() => buildModel(config));
    const { total, rows } = countModel(model, config.inChannels, resolution, tableRowOf(model));
    if (args.flags.has('json')) {
      console.log(JSON.stringify(total));
      return 0;
    }
    console.log(`${'part'.padEnd(16)} ${'params'.padStart(12)} ${'binary'.padStart(12)} ${'BOPs'.padStart(11)} ${'FLOPs'.padStart(11)} ${'OPs'.padStart(11)} ${'size MiB'.padStart(9)}`);
    for (const r of rows) console.log(formatRow(r.name, r));
    console.log(formatRow('total', total));
    return 0;
  },
};
