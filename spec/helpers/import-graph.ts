/**
 * The relative-import graph of a tree of TypeScript files, for the architecture spec: every
 * `import … from`, `import type … from`, `export … from`, bare `import '…'` and dynamic
 * `import('…')` of a relative path is an edge, whether it carries values or only types.
 * Comments are removed first, so an import quoted in a doc comment is not an edge.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** file → the files it imports (absolute paths). */
export type ImportGraph = Map<string, string[]>;

/** Every file under `root` (recursively) whose name ends with `extension` (every file for null), sorted. */
export function listFiles(root: string, extension: string | null = '.ts'): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path, extension));
    else if (extension === null || name.endsWith(extension)) out.push(path);
  }
  return out;
}

/**
 * The source with comments blanked out, and string and template literals too when `strings` is
 * set (import paths are strings, so the import scan keeps them). A `/` after an operand is
 * division; elsewhere it opens a regular expression literal, which is kept whole so that a quote
 * or `//` inside one is not misread.
 */
export function blankComments(source: string, strings = false): string {
  let out = '';
  let i = 0;
  let lastSignificant = '';
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === '\'' || c === '"' || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      const literal = source.slice(i, j + 1);
      out += strings ? c + literal.slice(1, -1).replace(/[^\n]/g, ' ') + c : literal;
      i = j + 1;
      lastSignificant = c;
      continue;
    }
    if (c === '/' && !/[\w$)\]]/.test(lastSignificant)) {
      // A regular expression literal: up to the closing slash outside a character class.
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== '\n' && (inClass || source[j] !== '/')) {
        if (source[j] === '\\') j++;
        else if (source[j] === '[') inClass = true;
        else if (source[j] === ']') inClass = false;
        j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      lastSignificant = '/';
      continue;
    }
    out += c;
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out;
}

const STATIC = /\b(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])(\.[^'"]*)\1/g;
const BARE = /\bimport\s*(['"])(\.[^'"]*)\1/g;
const DYNAMIC = /\bimport\s*\(\s*(['"`])(\.[^'"`]*)\1\s*\)/g;

/** The relative specifiers a source imports, in order of appearance per kind. */
export function relativeImports(source: string): string[] {
  const code = blankComments(source);
  const found: string[] = [];
  for (const re of [STATIC, BARE, DYNAMIC]) for (const m of code.matchAll(re)) found.push(m[2]);
  return found;
}

/** The file a relative specifier names: as written, with `.ts`, or its folder's index.ts. */
export function resolveImport(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidates = [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return c;
  throw new Error(`${from}: import '${specifier}' names no file (tried ${candidates.join(', ')})`);
}

/**
 * The import graph of the given files and of every TypeScript file they reach; files of other
 * kinds (JSON, say) are leaves.
 */
export function importGraph(roots: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  const queue = [...roots];
  for (let q = 0; q < queue.length; q++) {
    const f = queue[q];
    if (graph.has(f)) continue;
    const targets = f.endsWith('.ts') ? [...new Set(relativeImports(readFileSync(f, 'utf8')).map((s) => resolveImport(f, s)))] : [];
    graph.set(f, targets);
    queue.push(...targets);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cyclicComponents(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components;
}

/** A shortest cycle through the component's first file, staying inside the component: [a, b, …, a]. */
export function cycleThrough(graph: ImportGraph, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const back: string[] = [];
        for (let u = v; u !== start; u = previous.get(u)!) back.push(u);
        return [start, ...back.reverse(), start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start} inside its component`);
}

/** Every file reachable from `from` by imports, `from` included. */
export function reachable(graph: ImportGraph, from: string): Set<string> {
  const seen = new Set([from]);
  const queue = [from];
  for (let q = 0; q < queue.length; q++) {
    for (const w of graph.get(queue[q]) ?? []) {
      if (!seen.has(w)) {
        seen.add(w);
        queue.push(w);
      }
    }
  }
  return seen;
}

/** `a.ts → b.ts → a.ts`, paths relative to `root`. */
export function formatCycle(cycle: readonly string[], root: string): string {
  return cycle.map((f) => relative(root, f)).join(' → ');
}
