/**
 * `bnext conformance export|check`: the conformance kit for other backends
 * (docs/golden-testing.md). `export` writes a bundle of cases with bnext's expected outputs;
 * `check` compares another backend's results with them, prints a report and exits 1 when any
 * case fails.
 */
import type { Command } from '../command';
import { intOption, parseArgs, requireOption, UsageError } from '../args';
import { SEED } from '../../tensor/arguments';
import { BundleError, checkBundle } from '../../conformance/check';
import { DEFAULT_SEED, exportBundle, parseLevels } from '../../conformance/export';
import { junitReport, textReport } from '../../conformance/report';
import { writeFileAtomic } from '../../io/atomic';
import { packageVersion } from '../package-version';

const USAGE = `usage: bnext conformance export DIR [--level ops|layers|models|all] [--seed S] [--size small|full]
       bnext conformance check DIR --results OUT [--junit FILE] [--case ID ...]

export   writes a conformance bundle to DIR (a new or empty folder): manifest.json (schema
         version 1: every case's op or layer, attributes, input and expected-output files,
         tolerance and why) and the tensors as .npy, .safetensors and .bnx files. Expected
         outputs are what bnext computes. Deterministic from --seed (default ${DEFAULT_SEED}).
  --level L    ops, layers, models, a comma-separated list of them, or all (default)
  --size S     small (default: a small BNext and a narrow BNext-18, a few MB) or full
               (BNext-18 at its paper widths with 1000 classes: about 110 MB)

check    compares a backend's results with the bundle's expected outputs: for every expected
         file, the file at the same relative path under OUT. Prints PASS/FAIL per case with
         the largest absolute and relative error (and ULPs for float32), the first module
         where a model trace diverges, and exits 1 when any case fails. DIR is only read.
  --results OUT  the backend's results folder
  --junit FILE   also write the report as JUnit XML
  --case ID      only cases whose id is ID or starts with ID/ (repeatable)

docs/golden-testing.md walks through it and states the conventions a backend must match.`;

function runExport(argv: string[]): number {
  const args = parseArgs(argv, ['level', 'seed', 'size'], [], 'conformance export');
  if (args.positionals.length !== 1) throw new UsageError('conformance export: give exactly one folder: bnext conformance export DIR');
  const size = args.options.get('size') ?? 'small';
  if (size !== 'small' && size !== 'full') throw new UsageError(`conformance export: --size must be small or full, got '${size}'`);
  let levels;
  try {
    levels = parseLevels(args.options.get('level') ?? 'all');
  } catch (e) {
    throw new UsageError(`conformance export: --level: ${e instanceof Error ? e.message : String(e)}`);
  }
  const seed = intOption(args, 'seed', DEFAULT_SEED, 'conformance export', SEED);
  const dir = args.positionals[0];
  const summary = exportBundle(dir, { levels, seed, size, version: packageVersion() });
  const per = levels.map((l) => `${summary.perLevel[l]} ${l}`).join(', ');
  console.log(`wrote ${dir}: ${summary.cases} cases (${per}), ${(summary.bytes / 2 ** 20).toFixed(2)} MiB, seed ${seed}`);
  return 0;
}

function runCheck(argv: string[]): number {
  const args = parseArgs(argv, ['results', 'junit', 'case'], [], 'conformance check');
  if (args.positionals.length !== 1) throw new UsageError('conformance check: give exactly one bundle folder: bnext conformance check DIR --results OUT');
  const results = requireOption(args, 'results', 'conformance check');
  let report;
  try {
    report = checkBundle(args.positionals[0], results, { only: args.lists.get('case') ?? [] });
  } catch (e) {
    if (!(e instanceof BundleError)) throw e;
    for (const p of e.problems) console.error(`bnext: ${p}`);
    return 1;
  }
  console.log(textReport(report));
  const junit = args.options.get('junit');
  if (junit) writeFileAtomic(junit, new TextEncoder().encode(junitReport(report)));
  return report.failed > 0 ? 1 : 0;
}

export const conformance: Command = {
  name: 'conformance',
  summary: 'export a conformance bundle for other backends, or check a backend\'s results against one',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'export') return runExport(rest);
    if (sub === 'check') return runCheck(rest);
    throw new UsageError(`conformance: expected 'export' or 'check', got ${sub === undefined ? 'nothing' : `'${sub}'`} (see bnext conformance --help)`);
  },
};
