/**
 * The BNext family against the official PyTorch code (fixtures/models, written by
 * fixtures/export/export_models.py from hpi-xnor/BNext). Each case loads the official state_dict
 * strictly, runs evaluation or a training step, and compares logits, loss, every parameter
 * gradient and every in-place update (BatchNorm statistics, clamps) with the reference.
 *
 * Tolerance (docs/conventions.md, "Tolerances"): max |ours - reference| <= 1e-4 · max |reference|,
 * per tensor. The reference is the float64 run rounded to float32; the exporter measured
 * float32-vs-float64 differences of at most 4.5e-7 (logits) and 9.5e-6 (gradients) on these cases,
 * so 1e-4 leaves room for summation order but not for a wrong formula. Every case is also run
 * through the `bnext forward` command (tagged @slow).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, readNpy, writeNpy } from '../../src/io/files';
import { type StoredArray, toIntTensor, toTensor } from '../../src/io/stored';
import { stateValueOf } from '../../src/nn/serialize';
import type { StateDict } from '../../src/nn/module';
import { buildModel, resolveConfig } from '../../src/models/factory';
import { archOptionsOf, MODEL_FIXTURES, type ModelCase, modelCases, relativeError } from '../helpers/model-cases';
import { withoutInit } from '../../src/nn/init';
import { crossEntropy } from '../../src/nn/losses';
import { noGrad } from '../../src/autograd/record';
import { Tensor } from '../../src/tensor/tensor';
import { IntTensor } from '../../src/tensor/int-tensor';
import { formatShape } from '../../src/tensor/shape';
import { backward } from '../../src/autograd/graph';

const DIR = MODEL_FIXTURES;
const cases = modelCases;

function cliArgs(c: ModelCase): string[] {
  const args = ['--arch', c.arch, '--base-width', String(c.base_width), '--classes', String(c.num_classes), '--in-channels', String(c.in_channels)];
  if (c.arch === 'bnext') {
    args.push('--stages', c.stage_ratios!.join(','), '--stem-stride', String(c.stem_stride));
    if (!c.elm_attention) args.push('--no-elm');
    if (!c.info_recoupling) args.push('--no-recoupling');
  } else {
    args.push('--stages', c.blocks_per_layer!.join(','));
  }
  return args;
}

/** The case's tensors grouped by prefix: the state_dict, gradients, values after the forward. */
function load(c: ModelCase): { sd: StateDict; grads: Map<string, Tensor>; after: StateDict; get: (k: string) => StoredArray } {
  const file = readSafetensors(join(DIR, c.file));
  const sd: StateDict = new Map();
  const grads = new Map<string, Tensor>();
  const after: StateDict = new Map();
  for (const [k, arr] of file.tensors) {
    if (k.startsWith('sd.')) sd.set(k.slice(3), stateValueOf(arr, k));
    else if (k.startsWith('grad.')) grads.set(k.slice(5), toTensor(arr, k));
    else if (k.startsWith('after.')) after.set(k.slice(6), stateValueOf(arr, k));
  }
  const get = (k: string): StoredArray => {
    const arr = file.tensors.get(k);
    if (!arr) throw new Error(`${c.file}: no tensor '${k}'`);
    return arr;
  };
  return { sd, grads, after, get };
}

const worst = new Map<string, { error: number; what: string }>();

function expectClose(caseName: string, what: string, ours: Tensor | IntTensor, ref: Tensor | IntTensor, tol: number): void {
  expect(formatShape(ours.shape), `${caseName}: shape of ${what}`).to.equal(formatShape(ref.shape));
  const err = relativeError(ours.data, ref.data);
  const w = worst.get(caseName);
  if (!w || err > w.error) worst.set(caseName, { error: err, what });
  expect(err, `${caseName}: ${what} relative error`).to.be.at.most(tol);
}

describe('models: golden cases from the official PyTorch code', function () {
  this.timeout(120_000);
  after(() => {
    if (process.env.GOLDEN_REPORT) for (const [name, w] of worst) console.log(`${name}: worst relative error ${w.error.toExponential(2)} (${w.what})`);
  });

  for (const c of cases) {
    it(`${c.name}: strict load, ${c.mode} forward${c.mode === 'train' ? ', loss, gradients' : ''} and in-place updates`, () => {
      const { sd, grads, after, get } = load(c);
      const model = withoutInit(() => buildModel(resolveConfig(archOptionsOf(c))));
      model.loadStateDict(sd);
      const x = toTensor(get('input'), 'input');
      let logits: Tensor;
      if (c.mode === 'eval') {
        model.eval();
        logits = noGrad(() => model.call(x));
      } else {
        model.train();
        logits = model.call(x);
        const loss = crossEntropy(logits, toIntTensor(get('target'), 'target'));
        expectClose(c.name, 'loss', loss, toTensor(get('loss'), 'loss'), c.tolerance.loss);
        backward(loss);
        const params = new Map(model.namedParameters());
        for (const [name, ref] of grads) {
          const p = params.get(name);
          expect(p, `${c.name}: gradient for unknown parameter ${name}`).to.not.equal(undefined);
          if (c.unused_parameters.includes(name)) {
            expect(p!.grad, `${c.name}: ${name} is unused and should get no gradient`).to.equal(null);
            continue;
          }
          expect(p!.grad, `${c.name}: no gradient for ${name}`).to.not.equal(null);
          expectClose(c.name, `grad ${name}`, p!.grad!, ref, c.tolerance.grad);
        }
      }
      expectClose(c.name, 'logits', logits, toTensor(get('logits'), 'logits'), c.tolerance.logits);
      const state = model.stateDict();
      for (const [name, ref] of after) expectClose(c.name, `after ${name}`, state.get(name)!, ref, c.tolerance.after);
    });
  }

  describe('through `bnext forward` @slow', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'bnext-forward-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const c of cases) {
      it(`${c.name}`, () => {
        const { sd, grads, after, get } = load(c);
        const weights = join(dir, `${c.name}.safetensors`);
        const entries = new Map<string, StoredArray>();
        for (const key of sd.keys()) entries.set(key, get(`sd.${key}`));
        writeSafetensors(weights, entries);
        writeNpy(join(dir, 'x.npy'), get('input'));
        const out = join(dir, 'y.npy');
        const args = ['bin/bnext.mjs', 'forward', ...cliArgs(c), '--weights', weights, '--input', join(dir, 'x.npy'), '--out', out];
        if (c.mode === 'train') {
          writeNpy(join(dir, 't.npy'), get('target'));
          args.push('--train', '--target', join(dir, 't.npy'), '--grads', join(dir, 'g.safetensors'), '--stats-out', join(dir, 's.safetensors'));
        }
        execFileSync(process.execPath, args, { stdio: 'pipe' });
        expectClose(c.name, 'logits (cli)', toTensor(readNpy(out), out), toTensor(get('logits'), 'logits'), c.tolerance.logits);
        if (c.mode === 'train') {
          const g = readSafetensors(join(dir, 'g.safetensors')).tensors;
          for (const [name, ref] of grads) {
            if (c.unused_parameters.includes(name)) {
              expect(g.has(name), `${name} is unused`).to.equal(false);
              continue;
            }
            expectClose(c.name, `grad ${name} (cli)`, toTensor(g.get(name)!, name), ref, c.tolerance.grad);
          }
          const s = readSafetensors(join(dir, 's.safetensors')).tensors;
          let stats = 0;
          for (const [name, ref] of after) {
            if (!/running_(mean|var)$/.test(name)) continue;
            stats++;
            expectClose(c.name, `${name} (cli)`, toTensor(s.get(name)!, name), ref as Tensor, c.tolerance.after);
          }
          expect(stats).to.equal(s.size);
        }
        expect(existsSync(out)).to.equal(true);
      });
    }
  });
});
