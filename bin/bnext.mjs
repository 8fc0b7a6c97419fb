#!/usr/bin/env node
// The `bnext` command: the compiled CLI in dist/ (`npm run build`; `npm ci` and `npm pack` run it
// as `prepare`). With BNEXT_FROM_SOURCE=1 it runs the TypeScript sources through tsx instead, as
// the test suite does (spec/helpers/from-source.ts), so specs never see a stale dist/.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.BNEXT_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  console.error('bnext: dist/ is not built; run `npm run build` (npm ci and npm install build it)');
  process.exitCode = 1;
}
