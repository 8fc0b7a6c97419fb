/**
 * Every name the public entry points export (src/index.ts, src/node.ts) is declared with a TSDoc
 * comment (`/** … *\/` directly above its declaration), so an editor shows it and docs/api.md
 * can point at it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** `export { a, b as c, type D } from './x';` and `export * as ns from './x';` of an entry file. */
function reexports(entry: string): { name: string; module: string }[] {
  const text = readFileSync(join(SRC, entry), 'utf8');
  const out: { name: string; module: string }[] = [];
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
    for (const item of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
      out.push({ name: item.replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim(), module: m[2] });
    }
  }
  return out;
}

/** The line of `name`'s exported declaration in `module`, and whether a TSDoc comment ends just above it. */
function documented(module: string, name: string): boolean | null {
  const path = join(SRC, `${module}.ts`);
  const lines = readFileSync(path, 'utf8').split('\n');
  const declaration = new RegExp(`^export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:function\\*?|class|interface|type|const|let|enum)\\s+${name}\\b`);
  const at = lines.findIndex((l) => declaration.test(l));
  if (at < 0) return null;
  let above = at - 1;
  while (above >= 0 && lines[above].trim() === '') above--;
  return above >= 0 && lines[above].trim().endsWith('*/') && lines.slice(0, above + 1).some((l) => l.trim().startsWith('/**'));
}

describe('public API: documentation', () => {
  for (const entry of ['index.ts', 'node.ts']) {
    it(`every export of src/${entry} has a TSDoc comment`, () => {
      const missing: string[] = [];
      for (const { name, module } of reexports(entry)) {
        const file = join(dirname(join('src', entry)), module).replace(/^src\//, '');
        const ok = documented(file, name);
        if (ok !== true) missing.push(`${name} (${file}.ts${ok === null ? ': declaration not found' : ''})`);
      }
      expect(missing, missing.join('\n')).to.deep.equal([]);
    });
  }
});
