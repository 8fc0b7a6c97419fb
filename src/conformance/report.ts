/**
 * The check's report (docs/golden-testing.md, "Reading the report"): one line per case with its
 * largest errors, the reason of every failure, and a summary line; and the same as JUnit XML for
 * a backend's CI (one testsuite per level, one testcase per case).
 */
import { type CaseVerdict, type CheckReport, formatNumber as fmt, type OutputVerdict } from './check';

function errorsOf(o: OutputVerdict): string {
  const ulps = o.maxUlps === null ? '' : `, ${o.maxUlps} ULPs`;
  const used = o.maxAbs === 0 ? 'exact' : `${fmt(100 * o.usedTolerance)}% of tolerance`;
  return `${o.name}: max abs ${fmt(o.maxAbs)}, max rel ${fmt(o.maxRel)}${ulps}, ${used}`;
}

/** Why an output failed, in one line. */
export function failureOf(o: OutputVerdict): string {
  if (o.problem) return o.problem;
  const where = o.firstDivergence ? `first diverges at ${o.firstDivergence}: ` : '';
  return `${o.file}: ${where}${o.failure ?? 'out of tolerance'}`;
}

function caseLines(c: CaseVerdict): string[] {
  const head = `${c.passed ? 'PASS' : 'FAIL'} ${c.id}`;
  const compared = c.outputs.filter((o) => !o.problem);
  const lines = [`${head}${compared.length ? `  (${compared.map(errorsOf).join('; ')})` : ''}`];
  for (const o of c.outputs) if (!o.passed) lines.push(`     ${failureOf(o)}`);
  return lines;
}

/** A check report as text: failed cases with their errors, then the totals per level. */
export function textReport(r: CheckReport): string {
  const lines = r.cases.flatMap(caseLines);
  const levels = [...new Set(r.cases.map((c) => c.level))].map((level) => {
    const of = r.cases.filter((c) => c.level === level);
    return `${level} ${of.filter((c) => c.passed).length}/${of.length}`;
  });
  lines.push('', `${r.passed} passed, ${r.failed} failed (${levels.join(', ')})`);
  return lines.join('\n');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A check report as JUnit XML, one test suite per level, for CI systems. */
export function junitReport(r: CheckReport): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = r.cases.reduce((s, c) => s + c.seconds, 0);
  out.push(`<testsuites name="bnext conformance" tests="${r.cases.length}" failures="${r.failed}" time="${total.toFixed(3)}">`);
  for (const level of [...new Set(r.cases.map((c) => c.level))]) {
    const of = r.cases.filter((c) => c.level === level);
    const time = of.reduce((s, c) => s + c.seconds, 0);
    out.push(`  <testsuite name="${xml(level)}" tests="${of.length}" failures="${of.filter((c) => !c.passed).length}" errors="0" time="${time.toFixed(3)}">`);
    for (const c of of) {
      out.push(`    <testcase classname="conformance.${xml(level)}.${xml(c.op)}" name="${xml(c.id)}" time="${c.seconds.toFixed(3)}">`);
      const failed = c.outputs.filter((o) => !o.passed);
      if (failed.length > 0) {
        out.push(`      <failure message="${xml(failureOf(failed[0]))}">${xml(failed.map(failureOf).join('\n'))}</failure>`);
      }
      out.push(`      <system-out>${xml(c.outputs.filter((o) => !o.problem).map(errorsOf).join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
