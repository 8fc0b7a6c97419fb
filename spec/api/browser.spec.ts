/**
 * The core entry (src/index.ts) is browser-safe: esbuild bundles it for `platform: 'browser'`
 * (which cannot resolve `node:` modules, so any import of one fails the build), nothing of Node
 * is in the bundle, and the bundle runs in a fresh V8 context holding only what a browser also
 * has (no process, Buffer, require or module): it builds a small BNext, runs the float forward
 * and the packed engine on the same batch, and round-trips the weights through safetensors
 * bytes.
 */
import { expect } from 'chai';
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';

const ENTRY = join(import.meta.dirname, '..', '..', 'src', 'index.ts');

/** What the bundle's test script reports back from inside the context. */
interface Report {
  floatTop1: number[];
  packedTop1: number[];
  maxDifference: number;
  reloadedSame: boolean;
  globals: string[];
}

const SCRIPT = `
  const model = bnext.createModel('bnext', { baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, inChannels: 1, seed: 3 });
  bnext.setTemperature(model, 1e-8);
  model.eval();
  const x = bnext.randn([4, 1, 16, 16], new bnext.Rng('browser'));
  const top1 = (t) => Array.from({ length: t.shape[0] }, (_, r) => {
    const row = t.data.subarray(r * t.shape[1], (r + 1) * t.shape[1]);
    return row.indexOf(Math.max(...row));
  });
  const float = bnext.noGrad(() => model.call(x));
  const packed = bnext.packModel(model).run(x);
  const reloaded = bnext.createModel('bnext', { baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 10, inChannels: 1, init: false });
  reloaded.loadStateDict(bnext.parseStateDict(bnext.serializeStateDict(model)));
  const again = bnext.noGrad(() => reloaded.eval().call(x));
  ({
    floatTop1: top1(float),
    packedTop1: top1(packed),
    maxDifference: Math.max(...float.data.map((v, i) => Math.abs(v - packed.data[i]))),
    reloadedSame: again.data.every((v, i) => v === float.data[i]),
    globals: ['process', 'Buffer', 'require', 'module', 'global'].filter((name) => typeof globalThis[name] !== 'undefined'),
  });
`;

describe('public API: the core runs in a browser', function () {
  this.timeout(120_000);
  let bundle = '';
  let inputs: string[] = [];

  before(async () => {
    const result = await build({
      entryPoints: [ENTRY], bundle: true, platform: 'browser', format: 'iife', globalName: 'bnext',
      write: false, metafile: true, logLevel: 'silent',
    });
    bundle = result.outputFiles[0].text;
    inputs = Object.keys(result.metafile.inputs);
  });

  it('bundles for platform browser with no Node module in it', () => {
    const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const pulled = inputs.filter((i) => node.has(i) || i.startsWith('node:') || /^\(disabled\):(?!crypto$)/.test(i));
    expect(pulled, `Node modules in the core bundle: ${pulled.join(', ')}`).to.deep.equal([]);
    expect(inputs.some((i) => i.endsWith('src/engine/packed-model.ts'))).to.equal(true);
  });

  it('runs in a context without Node globals: float forward, packed engine and a state_dict round trip agree', () => {
    // What a browser page has besides the language itself.
    const context = createContext({ TextEncoder, TextDecoder, console });
    runInContext(bundle, context);
    const report = runInContext(SCRIPT, context) as Report;
    expect(report.globals).to.deep.equal([]);
    expect(report.packedTop1).to.deep.equal(report.floatTop1);
    expect(report.maxDifference).to.be.below(1e-3);
    expect(report.reloadedSame).to.equal(true);
  });
});
