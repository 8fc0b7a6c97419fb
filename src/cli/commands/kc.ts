/** `bnext kc`: the Knowledge Complexity of a teacher (paper Eq. 3), or the paper's Table 8. */
import type { Command } from '../command';
import { type ParsedArgs, parseArgs, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { buildModel, resolveConfig } from '../../models/factory';
import { withoutInit } from '../../nn/init';
import { countParameters, knowledgeComplexity, TABLE8 } from '../../distill/knowledge-complexity';

const USAGE = `usage: bnext kc --params P --top1 A [--json]
       bnext kc --arch A [options] --top1 A [--json]
       bnext kc --table8 [--json]

Knowledge Complexity (paper Eq. 3): KC = log10(1 + Params / (Accuracy * 1e6 + 1e-8)), Accuracy the
top-1 as a fraction. Lower KC: more accuracy per parameter; the paper prefers low-KC teachers.

  --params P             the teacher's parameter count: 5288548, 5.29M or 530K
  --top1 A               the teacher's top-1 accuracy in percent, e.g. 77.53
  --table8               recompute paper Table 8 (torchvision parameter counts, the paper's top-1)
  --json                 print JSON

Instead of --params, --arch counts the parameters of one of our architectures:
${ARCH_USAGE}`;

const SUFFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 };

function parseParams(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text);
  if (!match) throw new UsageError(`kc: --params must be a count like 5288548, 5.29M or 530K, got '${text}'`);
  return Math.round(Number(match[1]) * SUFFIX[match[2]]);
}

function parseTop1(args: ParsedArgs): number {
  const text = args.options.get('top1');
  if (text === undefined) throw new UsageError('kc: --top1 is required (the teacher\'s top-1 in percent)');
  const value = Number(text.endsWith('%') ? text.slice(0, -1) : text);
  if (!Number.isFinite(value) || value < 0 || value > 100) throw new UsageError(`kc: --top1 must be a percentage in [0, 100], got '${text}'`);
  return value;
}

function table8(json: boolean): void {
  const rows = TABLE8.map((r) => ({ ...r, kc: knowledgeComplexity(r.params, r.top1 / 100) }));
  if (json) {
    console.log(JSON.stringify(rows));
    return;
  }
  console.log(`${'teacher'.padEnd(18)} ${'params'.padStart(10)} ${'top-1 %'.padStart(8)} ${'KC'.padStart(6)} ${'paper'.padStart(6)}`);
  for (const r of rows) {
    console.log(`${r.teacher.padEnd(18)} ${String(r.params).padStart(10)} ${r.top1.toFixed(2).padStart(8)} ${r.kc.toFixed(3).padStart(6)} ${r.paperKc.toFixed(3).padStart(6)}`);
  }
}

export const kc: Command = {
  name: 'kc',
  summary: 'Knowledge Complexity of a teacher (paper Eq. 3) or the paper\'s Table 8',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, 'params', 'top1'], [...ARCH_FLAGS, 'table8', 'json'], 'kc');
    const json = args.flags.has('json');
    if (args.flags.has('table8')) {
      if (args.options.size > 0) throw new UsageError('kc: --table8 takes no other options than --json');
      table8(json);
      return 0;
    }
    const paramsText = args.options.get('params');
    const hasArch = args.options.has('arch');
    if ((paramsText === undefined) === !hasArch) throw new UsageError('kc: give exactly one of --params P and --arch A (or --table8)');
    const params = paramsText !== undefined
      ? parseParams(paramsText)
      : countParameters(withoutInit(() => buildModel(resolveConfig(archOptionsFrom(args, 'kc')))));
    const top1 = parseTop1(args);
    const value = knowledgeComplexity(params, top1 / 100);
    if (json) console.log(JSON.stringify({ params, top1, kc: value }));
    else console.log(`KC = ${value.toFixed(3)} (params ${params}, top-1 ${top1}%)`);
    return 0;
  },
};
