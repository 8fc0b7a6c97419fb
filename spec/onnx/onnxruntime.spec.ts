/**
 * The ONNX export against a runtime no one here wrote: the exported graph of a small BNext and of
 * BNext-18 at its paper widths runs in onnxruntime-web (its WASM build, under Node) and gives
 * bnext's float-engine logits to 1e-4 of their largest magnitude. A .bnx file exports through
 * the command line and matches the packed XNOR engine. Where onnxruntime-web is not installed the
 * suite says so in one line and is skipped (pending), never passed.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../src/autograd/record';
import { calibrateBatchNorm, randomize, sampleInput } from '../../src/conformance/modules';
import { writeBnx } from '../../src/engine/bnx-file';
import { bnxContentsOf } from '../../src/engine/load';
import { packModel } from '../../src/engine/packed-model';
import type { ModelConfig } from '../../src/models/config';
import { buildModel, type BNextModel } from '../../src/models/factory';
import { withoutInit } from '../../src/nn/init';
import { onnxModel } from '../../src/onnx/index';
import { Rng } from '../../src/tensor/random';
import { Tensor } from '../../src/tensor/tensor';

type Ort = typeof import('onnxruntime-web');

async function loadOrt(): Promise<Ort | null> {
  try {
    const ort = (await import('onnxruntime-web')) as Ort;
    ort.env.wasm.numThreads = 1;
    return ort;
  } catch {
    return null;
  }
}

async function runOrt(ort: Ort, bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

/** max |a - b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function seeded(config: ModelConfig, seed: number, calibrate: number[] | null): BNextModel {
  const model = withoutInit(() => buildModel(config));
  const rng = new Rng(seed);
  randomize(model, rng, { temperature: 1e-8, runningStats: calibrate === null });
  if (calibrate) calibrateBatchNorm(model, rng, calibrate);
  return model.eval();
}

describe('onnx: the exported graph in onnxruntime-web', function () {
  this.timeout(120_000);
  let ort: Ort | null = null;

  before(async function () {
    ort = await loadOrt();
    if (!ort) {
      console.log('    onnxruntime-web is not installed (npm ci installs it as a dev dependency): the ONNX Runtime cross-check did not run');
      this.skip();
    }
  });

  it('a small BNext (1000 classes: stride-2 stem, two stride-2 stages) gives bnext\'s logits', async () => {
    const model = seeded({ arch: 'bnext', baseWidth: 8, stages: [1, 1, 0, 0], numClasses: 1000, stemStride: 2, inChannels: 3, elmAttention: true, infoRecoupling: true }, 1, [4, 3, 32, 32]);
    const shape = [2, 3, 32, 32];
    const x = sampleInput(new Rng(2), shape);
    const expected = noGrad(() => model.call(new Tensor(x.slice(), shape))).data;
    const got = await runOrt(ort!, onnxModel(model), x, shape);
    const error = relativeError(got, expected);
    console.log(`      small BNext: max |onnxruntime - bnext| / max |logit| = ${error.toExponential(2)}`);
    expect(error).to.be.below(1e-4);
  });

  it('BNext-18 at its paper widths (11.7M parameters, 1000 classes) gives bnext\'s logits @slow', async () => {
    const model = seeded({ arch: 'bnext-18', baseWidth: 64, blocksPerLayer: [2, 2, 2, 2], numClasses: 1000, inChannels: 3 }, 3, null);
    const shape = [1, 3, 64, 64];
    const x = sampleInput(new Rng(4), shape);
    const expected = noGrad(() => model.call(new Tensor(x.slice(), shape))).data;
    const got = await runOrt(ort!, onnxModel(model), x, shape);
    const error = relativeError(got, expected);
    console.log(`      BNext-18: max |onnxruntime - bnext| / max |logit| = ${error.toExponential(2)}`);
    expect(error).to.be.below(1e-4);
  });

  it('bnext export onnx of a .bnx file (narrow BNext-18, 10 classes) gives the packed engine\'s logits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bnext-onnx-'));
    try {
      const model = seeded({ arch: 'bnext-18', baseWidth: 8, blocksPerLayer: [1, 1, 1, 1], numClasses: 10, inChannels: 3 }, 5, [4, 3, 16, 16]);
      writeBnx(join(dir, 'm.bnx'), bnxContentsOf(model));
      const r = spawnSync(process.execPath, ['bin/bnext.mjs', 'export', 'onnx', '--weights', join(dir, 'm.bnx'), '--out', join(dir, 'm.onnx')], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/wrote .*m\.onnx: bnext-18, ONNX opset 13/);
      const shape = [2, 3, 16, 16];
      const x = sampleInput(new Rng(6), shape);
      const expected = packModel(model).run(new Tensor(x.slice(), shape)).data;
      const got = await runOrt(ort!, new Uint8Array(readFileSync(join(dir, 'm.onnx'))), x, shape);
      expect(relativeError(got, expected)).to.be.below(1e-4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
