/**
 * `npm run fuzz -- --parser P --count N [--seed S]`: feeds N mutated files to parser P
 * (safetensors, npy, bnx, png, jpeg, pth, or all) and prints the count of each outcome; exits
 * with 1 when any input crashed, hung, allocated beyond its bound or decoded wrongly.
 *
 *   --save DIR        write every defect's input to DIR (with what was done to it)
 *   --reference DIR   write unverified inputs with bnext's decode, for fuzz/reference.py
 *   --index I[,J...]  only these inputs (to reproduce a finding)
 *   --timeout MS      the per-input time limit (default 2000)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzzParser, type FuzzReport } from './fuzz';
import { OUTCOMES } from './protocol';
import { type ParserName, PARSERS } from './target';

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function formatReport(r: FuzzReport, seconds: number): string {
  const counts = OUTCOMES.map((o) => `${o} ${r.counts[o]}`).join(', ');
  return `${r.parser.padEnd(11)} ${r.count} inputs in ${seconds.toFixed(0)} s: ${counts}; ` +
    `slowest ${r.slowestMs.toFixed(0)} ms, largest allocation ${(r.largestAllocation / 2 ** 20).toFixed(1)} MiB, ` +
    `${r.internalMessages} rejections carry a library's runtime message`;
}

async function main(argv: string[]): Promise<number> {
  const parser = option(argv, 'parser') ?? 'all';
  const count = Number(option(argv, 'count') ?? '1000');
  const seed = option(argv, 'seed') ?? '0';
  const timeoutMs = Number(option(argv, 'timeout') ?? '2000');
  const save = option(argv, 'save');
  const referenceDir = option(argv, 'reference');
  const indices = option(argv, 'index')?.split(',').map(Number);
  const parsers = parser === 'all' ? [...PARSERS] : [parser as ParserName];
  if (!parsers.every((p) => (PARSERS as readonly string[]).includes(p)) || !(count > 0)) {
    console.error(`fuzz: --parser must be one of ${PARSERS.join(', ')} or all, and --count a positive number`);
    return 1;
  }
  let defects = 0;
  for (const p of parsers) {
    const start = Date.now();
    const report = await fuzzParser(p, {
      count, seed, timeoutMs, indices, keepUnverified: referenceDir !== undefined,
      onProgress: (done) => { if (done % 10_000 === 0) console.error(`  ${p}: ${done}`); },
    });
    console.log(formatReport(report, (Date.now() - start) / 1000));
    if (argv.includes('--verbose')) {
      for (const [message, n] of [...report.rejections].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${String(n).padStart(6)}  ${message}`);
    }
    for (const f of report.findings) {
      console.log(`  DEFECT ${f.outcome} at input ${f.index} (seed ${f.seedFile}; ${f.mutations.join('; ')}): ${f.detail}`);
      if (save) {
        mkdirSync(save, { recursive: true });
        writeFileSync(join(save, `${p}-${seed}-${f.index}.bin`), f.bytes);
        writeFileSync(join(save, `${p}-${seed}-${f.index}.txt`), `${f.outcome}\n${f.seedFile}\n${f.mutations.join('\n')}\n${f.detail}\n`);
      }
    }
    if (referenceDir && report.unverified.length > 0) {
      const dir = join(referenceDir, p);
      mkdirSync(dir, { recursive: true });
      const ext = p === 'pth' ? 'safetensors' : 'npy';
      for (const u of report.unverified) {
        writeFileSync(join(dir, `${u.index}.input`), u.bytes);
        writeFileSync(join(dir, `${u.index}.bnext.${ext}`), u.output);
      }
      console.log(`  ${report.unverified.length} unverified inputs written to ${dir} (check: /usr/bin/python3 fuzz/reference.py ${referenceDir})`);
    }
    defects += report.findings.length;
  }
  return defects > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
