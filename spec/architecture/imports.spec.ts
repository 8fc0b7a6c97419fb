/**
 * The shape of the house: src/ has no import cycle (type-only imports count: a reader follows
 * them too), every file name under src/, spec/ and bench/ is kebab-case, and every file that
 * calls `.backward(` reaches the gradient rules through its imports (src/autograd/graph.ts
 * explains why that module must be imported by name).
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import {
  blankComments, cycleThrough, cyclicComponents, formatCycle, importGraph, listFiles, reachable, relativeImports,
} from '../helpers/import-graph';

const REPO = resolve('.');
const SRC = resolve('src');

/** Each cycle of the graph, one per strongly connected component, as `a.ts → b.ts → … → a.ts`. */
function cycles(root: string, files: readonly string[]): string[] {
  const graph = importGraph(files);
  return cyclicComponents(graph).map((c) => `${formatCycle(cycleThrough(graph, c), root)} (${c.length} files in this knot)`);
}

describe('architecture: imports and file names', () => {
  describe('the import walker', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'bnext-imports-'));
      mkdirSync(join(dir, 'sub'));
      const files: Record<string, string> = {
        'a.ts': "import type { B } from './b';\nexport type A = B;\n",
        'b.ts': "export { c as B } from './c';\n",
        'c.ts': "export const c = 1;\nexport async function load(): Promise<unknown> {\n  return import('./a');\n}\n",
        'd.ts': "// import { a } from './a';\n/* export * from './b'; */\nimport './e';\nimport { s } from './sub';\nconst text = '// not a comment';\nexport const d = s + text;\n",
        'e.ts': "export const e = /['/]/.test('x') ? 1 : 2;\nimport { d } from './d';\nexport const f = d;\n",
        'sub/index.ts': 'export const s = 2;\n',
      };
      for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads value, type, re-export, bare and dynamic imports, and skips commented ones', () => {
      expect(relativeImports(readFileSync(join(dir, 'd.ts'), 'utf8'))).to.deep.equal(['./sub', './e']);
      expect(relativeImports(readFileSync(join(dir, 'c.ts'), 'utf8'))).to.deep.equal(['./a']);
      expect(relativeImports(readFileSync(join(dir, 'e.ts'), 'utf8'))).to.deep.equal(['./d']);
      const graph = importGraph([join(dir, 'd.ts')]);
      expect(graph.get(join(dir, 'd.ts'))).to.deep.equal([join(dir, 'sub', 'index.ts'), join(dir, 'e.ts')]);
    });

    it('names each cycle as a path, type-only and dynamic edges included', () => {
      const found = cycles(dir, listFiles(dir));
      expect(found).to.have.length(2);
      expect(found).to.include('a.ts → b.ts → c.ts → a.ts (3 files in this knot)');
      expect(found).to.include('d.ts → e.ts → d.ts (2 files in this knot)');
    });

    it('blanks strings on request, so that quoted code is not taken for a call', () => {
      const source = "const s = 'x.backward()'; // y.backward()\nz.backward();\n";
      expect(blankComments(source, true).match(/\.backward\s*\(/g)).to.have.length(1);
    });
  });

  it('src/ has no import cycle', () => {
    const found = cycles(REPO, listFiles(SRC));
    expect(found, `import cycles in src/:\n  ${found.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('file and folder names under src/, spec/ and bench/ are kebab-case (lower-case words joined by -)', () => {
    const kebab = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*$/;
    const offenders: string[] = [];
    for (const root of ['src', 'spec', 'bench']) {
      for (const file of listFiles(resolve(root), null)) {
        const path = relative(REPO, file);
        if (path.split(sep).some((part) => !kebab.test(part))) offenders.push(path);
      }
    }
    expect(offenders, `names not in kebab-case:\n  ${offenders.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('every file that calls .backward() reaches src/autograd/graph.ts (the gradient rules) by its imports', () => {
    const rules = resolve('src/autograd/graph.ts');
    const callers = ['src', 'spec', 'bench'].flatMap((root) => listFiles(resolve(root)))
      .filter((f) => /\.backward\s*\(/.test(blankComments(readFileSync(f, 'utf8'), true)));
    expect(callers.length).to.be.greaterThan(0);
    const graph = importGraph(callers);
    const missing = callers.filter((f) => !reachable(graph, f).has(rules)).map((f) => relative(REPO, f));
    expect(missing, `these call .backward() but never import src/autograd/graph.ts:\n  ${missing.join('\n  ')}\n`).to.deep.equal([]);
  });
});
