#!/usr/bin/env node
/**
 * Builds dist/ (npm's `prepare` runs it during `npm ci` and `npm pack`): TypeScript emits ESM
 * JavaScript, declarations and source maps file by file (tsconfig.build.json), then every
 * relative import specifier gets the explicit file name Node's ESM loader needs
 * ('./tensor/tensor' -> './tensor/tensor.js', './data' -> './data/index.js').
 *
 * The sources import without extensions, as the bundler resolution they are type-checked and
 * run (through tsx) with allows; tsc copies specifiers unchanged, and Node resolves no
 * extensionless ones. The declarations need the same fix: under `moduleResolution: nodenext` a
 * consumer's TypeScript would not resolve them and would type the API as `any`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/**
 * `from '…'`, `import '…'`, `import('…')` and `export … from '…'` with a relative specifier, on
 * lines of code (comment lines, which may quote an import, are left alone).
 */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;

function withFileName(file, specifier) {
  if (/\.(m?js|json)$/.test(specifier)) return specifier;
  const base = resolve(dirname(file), specifier);
  if (existsSync(`${base}.js`)) return `${specifier}.js`;
  if (existsSync(join(base, 'index.js'))) return `${specifier}/index.js`;
  throw new Error(`${file}: import '${specifier}' resolves to no emitted file`);
}

function* emitted(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* emitted(path);
    else if (name.endsWith('.js') || name.endsWith('.d.ts')) yield path;
  }
}

for (const file of emitted(dist)) {
  const text = readFileSync(file, 'utf8');
  const fixed = text
    .split('\n')
    .map((line) => (/^\s*(\/\/|\/\*|\*)/.test(line) ? line : line.replace(SPECIFIER, (_, keyword, quote, specifier) => `${keyword}${quote}${withFileName(file, specifier)}${quote}`)))
    .join('\n');
  if (fixed !== text) writeFileSync(file, fixed);
}
