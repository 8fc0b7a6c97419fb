/**
 * The tutorial runs (docs/learn/): every ```ts snippet of every step is run as written, its
 * `import … from 'bnext'` / `'bnext/node'` resolved to src/index.ts / src/node.ts, and what it
 * prints with console.log must equal, line for line, the ```text block that follows it in the
 * step. A snippet that throws, or an API change that alters its output, fails here (and one
 * that no longer type-checks fails spec/package.spec.ts, which compiles every snippet against
 * the shipped declarations).
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const DIR = join('docs', 'learn');
const ENTRIES: Record<string, string> = {
  bnext: pathToFileURL(resolve('src', 'index.ts')).href,
  'bnext/node': pathToFileURL(resolve('src', 'node.ts')).href,
};

/** A step's snippets, each with the output the text says it prints. */
export function snippetsOf(markdown: string, file: string): { code: string; prints: string }[] {
  const blocks = [...markdown.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
  const snippets: { code: string; prints: string }[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'ts') return;
    const next = blocks[i + 1];
    if (!next || next.lang !== 'text') throw new Error(`${file}: a ts snippet is not followed by the text block of what it prints`);
    snippets.push({ code: b.body, prints: next.body.replace(/\n$/, '') });
  });
  return snippets;
}

/** Runs one snippet as a module and returns what it printed. */
async function run(code: string, dir: string, name: string): Promise<string> {
  const source = code.replace(/from '(bnext(?:\/node)?)'/g, (whole, entry: string) => `from '${ENTRIES[entry] ?? whole}'`);
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, source);
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => { printed.push(format(...args)); };
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
  }
  return printed.join('\n');
}

describe('docs/learn: the tutorial runs', function () {
  this.timeout(60_000);
  const steps = readdirSync(DIR).filter((f) => /^\d\d-[\w-]+\.md$/.test(f)).sort();
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'bnext-learn-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has its steps, each linked from the index', () => {
    expect(steps.length).to.be.at.least(8);
    const index = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const step of steps) expect(index, `docs/learn/README.md links ${step}`).to.include(`(${step})`);
  });

  for (const step of steps) {
    it(`${step}: every snippet prints what the text shows`, async () => {
      const snippets = snippetsOf(readFileSync(join(DIR, step), 'utf8'), step);
      expect(snippets.length, `${step} has no ts snippet`).to.be.greaterThan(0);
      for (const [i, s] of snippets.entries()) {
        expect(await run(s.code, dir, `${step.replace(/\.md$/, '')}-${i}`), `${step}, snippet ${i + 1}`).to.equal(s.prints);
      }
    });
  }
});
