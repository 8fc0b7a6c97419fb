/**
 * docs/paper-map.md names real code: every backticked path (src/, spec/, fixtures/, bench/,
 * docs/) exists, every `path#name` names something the file exports, and every section, equation,
 * table, figure and algorithm of the paper has its heading or row. The other pages of docs/ that
 * point into the code (conventions, architecture, performance) are held to the same first two.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';

const DOC = 'docs/paper-map.md';
const text = readFileSync(DOC, 'utf8');

/** The backticked code references of the doc: a path, or a path#name. */
function references(markdown: string): { path: string; name: string | null }[] {
  const found: { path: string; name: string | null }[] = [];
  for (const [, token] of markdown.matchAll(/`([^`\s]+)`/g)) {
    const m = /^((?:src|spec|fixtures|bench|docs)\/[\w./-]+?)(?:#(\w+))?$/.exec(token);
    if (m) found.push({ path: m[1], name: m[2] ?? null });
  }
  return found;
}

/** Whether the TypeScript source exports `name` (a declaration or an export list). */
export function exportsName(source: string, name: string): boolean {
  const declared = new RegExp(`^export\\s+(?:declare\\s+)?(?:async\\s+)?(?:abstract\\s+)?(?:function\\*?|class|const|let|var|interface|type|enum)\\s+${name}\\b`, 'm');
  if (declared.test(source)) return true;
  for (const [, list] of source.matchAll(/^export\s*(?:type\s*)?\{([^}]*)\}/gm)) {
    if (list.split(',').some((item) => item.trim().split(/\s+as\s+/).pop() === name)) return true;
  }
  return false;
}

/** What the paper contains (bnext-paper: Sec. 1-7.8, Eq. 1-6, Tables 1-10, Figs. 1-8, Alg. 1). */
const PAPER = [
  ...['1', '2', '3.1', '3.2', '4.1', '4.2', '5.1', '5.2', '5.3', '6', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '7.7', '7.8'].map((s) => `Sec. ${s}`),
  ...[1, 2, 3, 4, 5, 6].map((n) => `Eq. ${n}`),
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => `Table ${n}`),
  ...['1a', '1b', '2', '3', '4', '5', '6', '7', '8'].map((n) => `Fig. ${n}`),
  'Alg. 1',
];

const CODE_DOCS = ['docs/conventions.md', 'docs/architecture.md', 'docs/performance.md'];

describe('docs/paper-map.md', () => {
  const refs = references(text);

  it('names files and directories that exist', () => {
    expect(refs.length).to.be.above(100);
    const missing = [...new Set(refs.map((r) => r.path))].filter((p) => !existsSync(p));
    expect(missing, 'paths in the doc that do not exist').to.deep.equal([]);
  });

  it('names exported functions, classes and constants that exist', () => {
    const named = refs.filter((r) => r.name !== null);
    expect(named.length).to.be.above(80);
    const wrong = named.filter((r) => !r.path.endsWith('.ts') || !existsSync(r.path) || !exportsName(readFileSync(r.path, 'utf8'), r.name!));
    expect(wrong.map((r) => `${r.path}#${r.name}`), 'names the files do not export').to.deep.equal([]);
  });

  it('has a heading or a row for every section, equation, table, figure and algorithm of the paper', () => {
    // A part counts where it opens a heading or sits in the first cell of a table row.
    const places = text.split('\n').flatMap((line) => (line.startsWith('#') ? [line] : line.startsWith('|') ? [line.split('|')[1]] : []));
    const present = (label: string): boolean => {
      const pattern = new RegExp(`${label.replace('.', '\\.')}(?![0-9]|\\.[0-9])`);
      return places.some((place) => pattern.test(place));
    };
    expect(PAPER.filter((label) => !present(label)), 'parts of the paper without a heading or row').to.deep.equal([]);
  });

  for (const doc of CODE_DOCS) {
    it(`${doc}: every path it names exists, every path#name is exported`, () => {
      const own = references(readFileSync(doc, 'utf8'));
      expect(own.length).to.be.above(5);
      const wrong = own.filter((r) => !existsSync(r.path) || (r.name !== null && !exportsName(readFileSync(r.path, 'utf8'), r.name)));
      expect(wrong.map((r) => (r.name ? `${r.path}#${r.name}` : r.path))).to.deep.equal([]);
    });
  }

  it('the checker itself: finds exports of every form and rejects a name that is only used', () => {
    const source = 'export function a() {}\nexport async function b() {}\nexport abstract class C {}\nexport type D = 1;\nconst e = 1;\nexport { e as E, f };\nconst g = a();\n';
    for (const name of ['a', 'b', 'C', 'D', 'E', 'f']) expect(exportsName(source, name), name).to.equal(true);
    for (const name of ['e', 'g', 'aa']) expect(exportsName(source, name), name).to.equal(false);
    expect(references('`src/a.ts#b` and `spec/c.spec.ts`, not `npm test` nor `x/y.ts`')).to.deep.equal([
      { path: 'src/a.ts', name: 'b' }, { path: 'spec/c.spec.ts', name: null },
    ]);
  });
});
