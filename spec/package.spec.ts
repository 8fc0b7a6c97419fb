/**
 * The package as a user gets it: `npm pack`, the tarball installed into an empty folder (from
 * npm's cache only: `--offline`, so nothing but the tarball and the registry packages `npm ci`
 * cached is used: bnext's own lockfile pins them), then plain Node, with no TypeScript loader, imports it, builds a small BNext,
 * loads weights, and runs the float model and the packed engine (also through a .bnx file); the
 * README's library example runs exactly as README.md shows it; the `bnext` command runs the
 * compiled CLI; and TypeScript files using the API, docs/api.md's examples among them, type-check
 * against the shipped declarations (under `moduleResolution: nodenext`, and with checks that fail
 * if the types were `any`).
 */
import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment of a user's shell: no tsx loader and no source-mode CLI from the test run. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.BNEXT_FROM_SOURCE;
  return env;
}

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what} failed:\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

/** An npm lockfile entry: what `npm ci` needs to install a package from the cache. */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * The lockfile of a project that depends on the tarball alone: bnext's runtime packages pinned
 * as bnext's own lockfile pins them (the versions and tarballs `npm ci` put in npm's cache),
 * so the install needs no registry metadata and no network.
 */
function consumerLock(tarball: string, dependencies: Record<string, string>): object {
  const own = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
  const packages: Record<string, LockEntry> = {
    '': { name: 'app', dependencies },
    'node_modules/bnext': { version: manifest.version, resolved: `file:${tarball}`, dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines },
  };
  for (const [path, entry] of Object.entries(own.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

/** The code block README.md marks as the library example. */
export function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- library-example[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md: no code block after <!-- library-example --> found');
  return m[1];
}

/** The TypeScript code blocks of docs/api.md and of the tutorial (docs/learn/), each a module of its own. */
function docsExamples(): string[] {
  const learn = join(ROOT, 'docs', 'learn');
  const pages = [join(ROOT, 'docs', 'api.md'), ...readdirSync(learn).filter((f) => f.endsWith('.md')).sort().map((f) => join(learn, f))];
  return pages.flatMap((page) => [...readFileSync(page, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]));
}

/** Imports the installed package, loads weights, runs both engines; prints one JSON line. */
const SMOKE = `
import { createModel, loadPackedModel, loadWeights, noGrad, ops, packModel, randn, Rng, serializeBnx, bnxContentsOf,
  setTemperature, writeBnx, writeStateDict } from 'bnext/node';
import * as core from 'bnext';
const options = { baseWidth: 8, stages: [1, 1, 1, 0], numClasses: 10, inChannels: 3 };
const source = createModel('bnext', { ...options, seed: 7 });
setTemperature(source, 1e-8);
writeStateDict('w.safetensors', source);
const model = createModel('bnext', { ...options, init: false });
const report = loadWeights(model, 'w.safetensors');
model.eval();
const x = randn([6, 3, 32, 32], new Rng('package'));
const top1 = (t) => [...ops.argmax(t, 1).data];
writeBnx('m.bnx', bnxContentsOf(model, { quantize: null }));
console.log(JSON.stringify({
  report,
  float: top1(noGrad(() => model.call(x))),
  packed: top1(packModel(model).run(x)),
  bnx: top1(loadPackedModel('m.bnx').run(x)),
  coreIsNodeCore: core.createModel === createModel,
  bnxBytes: serializeBnx(bnxContentsOf(model)).length,
}));
`;

/** A TypeScript user's file: it must type-check. */
const TYPED = `
import { createModel, packModel, parseStateDict, serializeStateDict, modelStats, type PackedModel, type ModelOptions, Tensor } from 'bnext';
import { loadWeights, train, type TrainOptions, type StepReport } from 'bnext/node';
const options: ModelOptions = { numClasses: 10, inChannels: 1, baseWidth: 16, stages: [1, 1, 0, 0] };
const model = createModel('bnext', options);
const depth: number = model.widths.length;
const engine: PackedModel = packModel(model, { quantize: 'paper' });
const logits: Tensor = engine.trace(new Tensor(new Float32Array(16 * 16), [1, 1, 16, 16])).logits;
const bytes: Uint8Array = serializeStateDict(model);
model.loadStateDict(parseStateDict(bytes), { strict: false });
const sizeMiB: number = modelStats(model, { resolution: 32 }).total.sizeMiB;
const onStep = (s: StepReport): void => console.log(s.loss, s.lr);
const partial: Partial<TrainOptions> = { epochs: 1, onStep };
export { depth, logits, sizeMiB, partial, loadWeights, train };
`;

/** Wrong calls: each line must be a type error, which it would not be if the API were typed `any`. */
const WRONG = `
import { createModel, packModel } from 'bnext';
import { loadWeights } from 'bnext/node';
// @ts-expect-error: not a model name
createModel('bnext-xl');
// @ts-expect-error: numClasses is a number
createModel('bnext-t', { numClasses: '10' });
// @ts-expect-error: a teacher CNN has no widths
createModel('cnn-s').widths;
// @ts-expect-error: the engine takes a BNext or BNext-18
packModel(createModel('cnn-m'));
// @ts-expect-error: options object, not a boolean
loadWeights(createModel('bnext-t'), 'w.safetensors', false);
`;

describe('package: the npm tarball installed in an empty folder @slow', function () {
  this.timeout(900_000);
  let dir = '';
  let app = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bnext-package-'));
    const packed = JSON.parse(ok(run(NPM, ['pack', '--json', '--pack-destination', dir], ROOT), 'npm pack')) as { filename: string }[];
    const tarball = join(dir, packed[0].filename);
    app = join(dir, 'app');
    mkdirSync(app);
    const dependencies = { bnext: `file:${tarball}` };
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(tarball, dependencies)));
    ok(run(NPM, ['ci', '--offline', '--no-audit', '--no-fund'], app), 'npm ci --offline of the tarball');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships compiled JavaScript with declarations and source maps, and needs no TypeScript at run time', () => {
    const pkg = join(app, 'node_modules', 'bnext');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/node.js', 'dist/node.d.ts', 'dist/cli/main.js', 'bin/bnext.mjs', 'README.md']) {
      expect(existsSync(join(pkg, f)), f).to.equal(true);
    }
    for (const dev of ['tsx', 'typescript', 'esbuild', 'mocha']) expect(existsSync(join(app, 'node_modules', dev)), dev).to.equal(false);
  });

  it('from plain Node: builds a small BNext, loads its weights, and the float model, the packed engine and its .bnx agree on top-1', () => {
    writeFileSync(join(app, 'smoke.mjs'), SMOKE);
    const out = JSON.parse(ok(run(process.execPath, ['smoke.mjs'], app), 'smoke.mjs').trim()) as {
      report: { missing: string[]; unexpected: string[]; mismatched: string[]; file: { format: string } };
      float: number[]; packed: number[]; bnx: number[]; coreIsNodeCore: boolean; bnxBytes: number;
    };
    const { missing, unexpected, mismatched, file } = out.report;
    expect({ missing, unexpected, mismatched, format: file.format }).to.deep.equal({ missing: [], unexpected: [], mismatched: [], format: 'safetensors' });
    expect(out.float).to.have.length(6);
    expect(out.packed).to.deep.equal(out.float);
    expect(out.bnx).to.deep.equal(out.float);
    expect(out.coreIsNodeCore).to.equal(true);
    expect(out.bnxBytes).to.be.above(0);
  });

  it("runs the README's library example exactly as README.md shows it", () => {
    writeFileSync(join(app, 'example.mjs'), readmeExample());
    const out = ok(run(process.execPath, ['example.mjs'], app), 'the README example');
    const line = (label: string): string => {
      const found = out.split('\n').find((l) => l.startsWith(label));
      if (!found) throw new Error(`no '${label}' line in:\n${out}`);
      return found.slice(label.length).trim();
    };
    expect(line('packed top-1')).to.equal(line('float top-1'));
    expect(line('labels')).to.equal('[ 0, 2, 4, 7 ]');
  });

  it('the bnext command runs the compiled CLI', () => {
    const bin = join(app, 'node_modules', '.bin', 'bnext');
    expect(ok(run(bin, ['--help'], app), 'bnext --help')).to.match(/^commands:$/m);
    const stats = JSON.parse(ok(run(bin, ['stats', '--arch', 'bnext-t', '--json'], app), 'bnext stats')) as { params: number };
    expect(stats.params).to.be.above(1e6);
  });

  it('TypeScript files using the API, and every example of docs/api.md and docs/learn/, type-check against the shipped declarations (nodenext, skipLibCheck off)', () => {
    writeFileSync(join(app, 'typed.ts'), TYPED);
    writeFileSync(join(app, 'wrong.ts'), WRONG);
    const examples = docsExamples().map((code, i) => {
      writeFileSync(join(app, `docs-example-${i + 1}.ts`), code);
      return `docs-example-${i + 1}.ts`;
    });
    expect(examples.length).to.be.above(5);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ['typed.ts', 'wrong.ts', ...examples],
    }));
    ok(run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], app), 'tsc on typed.ts, wrong.ts and the docs/api.md and docs/learn/ examples');
  });
});
