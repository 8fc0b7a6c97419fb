/**
 * The op-level cases of the conformance bundle (docs/golden-testing.md, "Cases"): sign and its
 * straight-through gradient, bit packing, the XNOR convolution over a grid of geometries,
 * progressive binarization, post-training quantization (paper Eqs. 5 and 6), the losses and the
 * gap-sensitive ensemble (Eq. 4), the learning-rate and temperature schedules, gradient clipping
 * and one AdamW step. Every expected output is what bnext computes.
 */
import { backward } from '../autograd/graph';
import { binarizeWeight, binaryActivation, BNEXT18_SIGN_THRESHOLD, BNEXT_SIGN_THRESHOLD } from '../binary/binarize';
import { packActivations, packWeights, storedWords } from '../binary/pack';
import { wordsPerPixel } from '../binary/packed-layout';
import { xnorConv2d } from '../binary/xnor-conv';
import { gapSensitiveLoss, type EnsembleForm } from '../distill/ensemble';
import { crossEntropy, distributionLoss } from '../nn/losses';
import { AdamW } from '../optim/adamw';
import { clipGradNorm } from '../optim/clip';
import { bnextSchedule, cosineLr } from '../optim/lr-schedule';
import { isLowDecayParameter, OTHER_WEIGHT_DECAY, WEIGHT_WEIGHT_DECAY } from '../optim/param-groups';
import { paperTemperature } from '../optim/temperature';
import { fakeQuantizeRows } from '../quantize/asymmetric';
import { dequantizeWeight, quantizeWeight } from '../quantize/weights';
import { signOf } from '../tensor/kernels/elementwise';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Rng } from '../tensor/random';
import { type CaseDef, npyFile, tensorsFile } from './bundle';
import { caseRng, f32, f64, i32, i64, latentWeights, normal, scalar, stored, tensor, uniform, withZeros } from './data';
import type { StoredArray } from '../io/stored';
import { DOUBLE, EXACT, OPTIMIZER, REDUCTION } from './tolerances';

type Maker = (seed: number) => CaseDef[];

/** Values that probe sign: exact zeros of both signs, subnormals, huge and infinite values. */
function signProbe(rng: Rng, n: number): Float32Array {
  const special = [0, -0, 1e-45, -1e-45, 1e-38, -1e-38, 3e38, -3e38, Infinity, -Infinity, 1, -1, 1.5, -1.5];
  const out = withZeros(rng, normal(rng, [n]), 0.1);
  special.forEach((v, i) => (out[i * 3] = v));
  return out;
}

const signCases: Maker = (seed) => {
  const id = 'ops/sign/zeros';
  const rng = caseRng(seed, id);
  const x = signProbe(rng, 2 * 64);
  return [{
    id, level: 'ops', op: 'sign', attributes: {},
    description: 'sign(x) with sign(+0) = sign(-0) = 0 (as torch.sign, ONNX Sign), subnormals, +-inf; the value a binary activation takes',
    inputs: [npyFile('x', f32([2, 64], x))],
    outputs: [{ file: npyFile('y', f32([2, 64], x.map(signOf))), tolerance: EXACT }],
  }];
};

const steCases: Maker = (seed) => {
  const id = 'ops/sign_ste_grad/clip1.5';
  const rng = caseRng(seed, id);
  const x = uniform(rng, [4, 32], -3, 3);
  const edges = [1.5, -1.5, Math.fround(1.5 + 2 ** -22), Math.fround(-1.5 - 2 ** -22), Math.fround(1.5 - 2 ** -23), 0, -0];
  edges.forEach((v, i) => (x[5 * i] = v));
  const dy = normal(rng, [4, 32]);
  const leaf = tensor([4, 32], x.slice(), true);
  backward(binaryActivation(leaf, { clip: 1.5 }), tensor([4, 32], dy));
  return [{
    id, level: 'ops', op: 'sign_ste_grad', attributes: { clip: 1.5 },
    description: 'straight-through gradient of the binary activation: dy where -1.5 <= x <= 1.5 (both ends included), 0 outside (official clamp)',
    inputs: [npyFile('x', f32([4, 32], x)), npyFile('dy', f32([4, 32], dy))],
    outputs: [{ file: npyFile('dx', stored(leaf.grad!)), tolerance: EXACT }],
  }];
};

const packCases: Maker = (seed) => {
  const cases: CaseDef[] = [];
  for (const c of [1, 31, 32, 33, 70]) {
    const id = `ops/pack_activations/c${c}`;
    const rng = caseRng(seed, id);
    const shape = [2, c, 3, 2];
    const x = withZeros(rng, normal(rng, shape), 0.05);
    const packed = packActivations(x, shape, 0);
    const wpp = wordsPerPixel(c);
    cases.push({
      id, level: 'ops', op: 'pack_activations', attributes: { bitOrder: 'lsb-first', negativeBit: 1, zeroBit: 0, wordBits: 32 },
      description: `${c} channels: NHWC words, channel c at bit c % 32 of word floor(c / 32), bit 1 for negative, 0 for positive and for exact zeros, tail bits 0`,
      inputs: [npyFile('x', f32(shape, x))],
      outputs: [{ file: npyFile('words', i32([2, 3, 2, wpp], packed.words.slice(0, 2 * 3 * 2 * wpp))), tolerance: EXACT }],
    });
  }
  for (const shape of [[5, 33, 3, 3], [3, 70, 1, 1], [2, 32, 3, 3], [4, 1, 1, 1]]) {
    const id = `ops/pack_weights/${shape.join('x')}`;
    const rng = caseRng(seed, id);
    const w = withZeros(rng, normal(rng, shape), 0.05);
    const [cout, cin, k] = shape;
    cases.push({
      id, level: 'ops', op: 'pack_weights', attributes: { bitOrder: 'lsb-first', negativeBit: 1, zeroBit: 0, wordBits: 32 },
      description: `weight ${shape.join('x')} as [Cout, k, k, ceil(Cin / 32)] words (the .bnx layout), tail bits 0`,
      inputs: [npyFile('w', f32(shape, w))],
      outputs: [{ file: npyFile('words', i32([cout, k, k, wordsPerPixel(cin)], storedWords(packWeights(w, shape)).slice())), tolerance: EXACT }],
    });
  }
  return cases;
};

/** conv2d(sign(x), sign(w)) with zero padding k//2 on the packed XNOR-popcount kernel. */
function xnorCase(seed: number, id: string, n: number, cin: number, cout: number, k: number, stride: number, h: number, w: number, zeros: number, description: string): CaseDef {
  const rng = caseRng(seed, id);
  const xs = [n, cin, h, w];
  const ws = [cout, cin, k, k];
  const x = zeros >= 1 ? new Float32Array(sizeOf(xs)) : withZeros(rng, normal(rng, xs), zeros);
  const wt = withZeros(rng, normal(rng, ws), zeros >= 1 ? 0.05 : zeros);
  const pad = k >> 1;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out = new Float32Array(n * cout * oh * ow);
  xnorConv2d(packActivations(x, xs, pad), packWeights(wt, ws), stride, out);
  return {
    id, level: 'ops', op: 'xnor_conv2d', attributes: { stride, padding: pad, padValue: 0 },
    description,
    inputs: [npyFile('x', f32(xs, x)), npyFile('w', f32(ws, wt))],
    outputs: [{ file: npyFile('y', i32([n, cout, oh, ow], Int32Array.from(out))), tolerance: EXACT }],
  };
}

const xnorCases: Maker = (seed) => {
  const cases: CaseDef[] = [];
  for (const cin of [3, 32, 33, 70]) {
    for (const k of [1, 3]) {
      for (const stride of [1, 2]) {
        for (const [h, w] of [[2, 3], [5, 4]]) {
          const id = `ops/xnor_conv2d/c${cin}_k${k}_s${stride}_${h}x${w}`;
          cases.push(xnorCase(seed, id, 2, cin, 5, k, stride, h, w, 0.04,
            `${cin} input channels (${cin % 32 === 0 ? 'whole words' : 'a partial last word'}), ${k}x${k}, stride ${stride}, ${h}x${w}: every tap on the zero border, some exact zeros`));
        }
      }
    }
  }
  for (const stride of [1, 2]) {
    cases.push(xnorCase(seed, `ops/xnor_conv2d/c33_k3_s${stride}_1x1`, 1, 33, 9, 3, stride, 1, 1, 0.04,
      'a 1x1 image: every output pixel has the border on all four sides (top, bottom, left and right at once)'));
  }
  cases.push(xnorCase(seed, 'ops/xnor_conv2d/all_zero_input', 1, 40, 8, 3, 1, 4, 4, 1,
    'an all-zero input: every sign is 0, so every output is 0 (a backend that packs 0 as +1 without correcting gets sums of the weights)'));
  return cases;
};

const binarizeCases: Maker = (seed) => {
  const cases: CaseDef[] = [];
  const temperatures: [string, number][] = [['t1', 1], ['t0.3', 0.3], ['t0.9^10', paperTemperature(10)], ['t1e-6', 1e-6], ['t1e-7', Math.fround(1e-7)], ['t1e-8', 1e-8]];
  for (const flavor of ['bnext', 'bnext18'] as const) {
    const threshold = flavor === 'bnext' ? BNEXT_SIGN_THRESHOLD : BNEXT18_SIGN_THRESHOLD;
    for (const [label, t] of temperatures) {
      const id = `ops/binarize_weight/${flavor}_${label}`;
      const rng = caseRng(seed, id);
      const shape = [4, 6, 3, 3];
      const w = withZeros(rng, latentWeights(rng, shape), 0.02);
      const clamped = w.map((v) => Math.min(1.5, Math.max(-1.5, v)));
      // Training clamps the latent weight in place first; BNext-18 clamps in evaluation too.
      const evalInput = flavor === 'bnext18' ? clamped : w;
      const evalValue = binarizeWeight(tensor(shape, evalInput.slice()), t, false, threshold);
      const trainValue = binarizeWeight(tensor(shape, clamped.slice()), t, true, threshold);
      cases.push({
        id, level: 'ops', op: 'binarize_weight',
        attributes: { temperature: Math.fround(t), threshold, clampLatent: 1.5, clampInEval: flavor === 'bnext18' },
        description: `${flavor === 'bnext' ? 'BNext' : 'BNext-18'} weights at temperature ${Math.fround(t)} (threshold ${threshold}): ` +
          `${Math.fround(t) < Math.fround(threshold) ? 'sign(w), sign(0) = 0' : 'clamp(w / t, -1, 1)'}; training clamps w to [-1.5, 1.5] first and forms (b - w) + w in float32`,
        inputs: [npyFile('w', f32(shape, w))],
        outputs: [
          { file: npyFile('eval', stored(evalValue)), tolerance: EXACT },
          { file: npyFile('train', stored(trainValue)), tolerance: EXACT },
        ],
      });
    }
  }
  return cases;
};

const quantizeCases: Maker = (seed) => {
  const cases: CaseDef[] = [];
  const activation = (name: string, rows: number, cols: number, bits: number, clip: number, fill: (rng: Rng, x: Float32Array) => void, description: string): void => {
    const id = `ops/quantize_activation/${name}`;
    const rng = caseRng(seed, id);
    const x = new Float32Array(rows * cols);
    fill(rng, x);
    const y = new Float32Array(x.length);
    fakeQuantizeRows(x, rows, cols, bits, clip, y);
    cases.push({
      id, level: 'ops', op: 'quantize_activation', attributes: { bits, clip, rounding: 'half-to-even', epsilon: Math.fround(1e-8) },
      description,
      inputs: [npyFile('x', f32([rows, cols], x))],
      outputs: [{ file: npyFile('y', f32([rows, cols], y)), tolerance: EXACT }],
    });
  };
  activation('normal_8bit', 4, 37, 8, 1000, (rng, x) => x.set(normal(rng, [x.length], 3)), 'Eq. 5 at 8 bits, one range per row: low = min, span = (max - min) + 1e-8, round half to even');
  activation('normal_4bit', 3, 16, 4, 1000, (rng, x) => x.set(normal(rng, [x.length])), 'Eq. 5 at 4 bits');
  activation('normal_2bit', 2, 9, 2, 1000, (rng, x) => x.set(normal(rng, [x.length])), 'Eq. 5 at 2 bits');
  activation('clip25', 3, 12, 8, 25, (rng, x) => {
    x.set(normal(rng, [x.length], 10));
    x[3] = 40;
    x[17] = -31;
  }, 'Eq. 5 with the classifier\'s clip at 25: values beyond +-25 are clipped first');
  activation('constant_rows', 2, 5, 8, 1000, (_rng, x) => x.fill(0.75), 'a row whose values are all equal: span = 1e-8, every code 0, the value itself');
  const weight = (name: string, shape: number[], bits: number, clip: number, scale: number, edit: ((w: Float32Array) => void) | null, description: string): void => {
    const id = `ops/quantize_weight/${name}`;
    const rng = caseRng(seed, id);
    const w = normal(rng, shape, scale);
    edit?.(w);
    const q = quantizeWeight(w, shape, bits, clip, id);
    cases.push({
      id, level: 'ops', op: 'quantize_weight', attributes: { bits, clip, groupSize: q.groupSize },
      description,
      inputs: [npyFile('w', f32(shape, w))],
      outputs: [{ file: npyFile('wq', f32(shape, dequantizeWeight(q))), tolerance: EXACT }],
    });
  };
  weight('squeeze_1x1_4bit', [4, 32, 1, 1], 4, 1000, 0.1, null, 'Eq. 6 on a squeeze-and-expand 1x1 convolution at 4 bits: Norm = 2 mean|W| per output channel, one range per output channel');
  weight('stem_3x3_8bit', [8, 3, 3, 3], 8, 1000, 0.3, null, 'Eq. 6 on a 3x3 stem at 8 bits: one range per (output, input) channel pair over its 9 taps');
  weight('fc_8bit_clip25', [4, 64], 8, 25, 0.05, (w) => (w[2 * 64 + 7] = 40), 'Eq. 6 on a classifier at 8 bits with one scaled weight past the clip at 25');
  return cases;
};

/** A loss and its gradient with respect to the logits (backward from 1). */
function lossOutputs(loss: Tensor, logits: Tensor): CaseDef['outputs'] {
  backward(loss);
  return [
    { file: npyFile('loss', scalar(loss.item())), tolerance: REDUCTION },
    { file: npyFile('dlogits', stored(logits.grad!)), tolerance: REDUCTION },
  ];
}

const lossCases: Maker = (seed) => {
  const cases: CaseDef[] = [];
  for (const smoothing of [0, 0.1]) {
    const id = `ops/cross_entropy/smoothing${smoothing}`;
    const rng = caseRng(seed, id);
    const logits = normal(rng, [6, 10], 2);
    const target = Int32Array.from({ length: 6 }, () => rng.int(10));
    const leaf = tensor([6, 10], logits.slice(), true);
    cases.push({
      id, level: 'ops', op: 'cross_entropy', attributes: { labelSmoothing: smoothing, reduction: 'mean' },
      description: `mean cross-entropy against class indices${smoothing ? `, label smoothing ${smoothing} (target (1 - e) one-hot + e / C)` : ''}, and d loss / d logits`,
      inputs: [npyFile('logits', f32([6, 10], logits)), npyFile('target', i64([6], target))],
      outputs: lossOutputs(crossEntropy(leaf, new IntTensor(target, [6]), { labelSmoothing: smoothing }), leaf),
    });
  }
  {
    const id = 'ops/distribution_loss/6x10';
    const rng = caseRng(seed, id);
    const s = normal(rng, [6, 10], 2);
    const t = normal(rng, [6, 10], 3);
    const leaf = tensor([6, 10], s.slice(), true);
    cases.push({
      id, level: 'ops', op: 'distribution_loss', attributes: { reduction: 'mean' },
      description: 'the distillation loss of one teacher: batch mean of -sum softmax(teacher) log_softmax(student); the teacher is a constant',
      inputs: [npyFile('student', f32([6, 10], s)), npyFile('teacher', f32([6, 10], t))],
      outputs: lossOutputs(distributionLoss(leaf, tensor([6, 10], t)), leaf),
    });
  }
  for (const [form, count] of [['script', 2], ['per-sample', 2], ['script', 1]] as [EnsembleForm, number][]) {
    const id = `ops/gap_ensemble_loss/${form}_t${count}`;
    const rng = caseRng(seed, id);
    const s = normal(rng, [8, 10], 2);
    // A soft assistant and a sharp strong teacher, so the weights move well away from 1/2.
    const teachers = [normal(rng, [8, 10], 1), normal(rng, [8, 10], 4)].slice(0, count);
    const leaf = tensor([8, 10], s.slice(), true);
    const result = gapSensitiveLoss(leaf, teachers.map((t) => tensor([8, 10], t)), form);
    const outputs = lossOutputs(result.loss, leaf);
    outputs.push({ file: npyFile('weights', f32([8, count], result.weights.slice())), tolerance: REDUCTION });
    cases.push({
      id, level: 'ops', op: 'gap_ensemble_loss', attributes: { form, teachers: count, singleTeacherWeight: 0.5 },
      description: count === 1
        ? 'one teacher: the script\'s constant weight 0.5 times its distribution loss'
        : `paper Eq. 4 (${form === 'script' ? 'the script\'s form: (1/n) sum_i KD_i mean_b(alpha_bi)' : 'per sample: mean_b sum_i alpha_bi g_bi'}): alpha = softmax over teachers of each sample's soft-target cross-entropy, detached`,
      inputs: [npyFile('student', f32([8, 10], s)), ...teachers.map((t, i) => npyFile(`teacher${i}`, f32([8, 10], t)))],
      outputs,
    });
  }
  return cases;
};

const scheduleCases: Maker = (): CaseDef[] => {
  const epochs = 20;
  const schedule = bnextSchedule(epochs);
  const t = Float64Array.from({ length: epochs + 6 }, (_, i) => i);
  const lr = t.map((e) => cosineLr(e, 1e-3, schedule));
  const temperatures = Float32Array.from({ length: 161 }, (_, e) => paperTemperature(e));
  return [
    {
      id: 'ops/lr_schedule/recipe_20_epochs', level: 'ops', op: 'lr_schedule',
      attributes: { baseLr: 1e-3, tInitial: epochs, warmupT: 5, warmupLrInit: 1e-5, lrMin: 1e-7, warmupPrefix: true },
      description: 'the official warm-up cosine schedule (timm CosineLRScheduler with warmup_prefix): epoch e < 5: 1e-5 + e (lr - 1e-5) / 5; then lr_min + (lr - lr_min)(1 + cos(pi (e - 5) / epochs)) / 2, and lr_min past the end',
      inputs: [npyFile('epoch', f64([t.length], t))],
      outputs: [{ file: npyFile('lr', f64([lr.length], lr)), tolerance: DOUBLE }],
    },
    {
      id: 'ops/temperature_schedule/paper', level: 'ops', op: 'temperature_schedule', attributes: { initial: 1, factor: 0.9, dtype: 'float32' },
      description: 'progressive binarization\'s temperature at epochs 0..160: a float32 buffer starting at 1, multiplied in place by 0.9 before each epoch >= 1',
      inputs: [npyFile('epoch', i64([161], Array.from({ length: 161 }, (_, i) => i)))],
      outputs: [{ file: npyFile('temperature', f32([161], temperatures)), tolerance: EXACT }],
    },
  ];
};

/** Named parameters as the recipe's groups see them: 4-D and binary-conv ones get the low decay. */
const OPTIM_SHAPES: [string, number[]][] = [
  ['fc.weight', [4, 6]], ['fc.bias', [4]], ['bn.weight', [6]], ['prelu.weight', [3]],
  ['conv.weight', [3, 2, 3, 3]], ['unit.move.bias', [1, 3, 1, 1]], ['unit.binary_conv.weight', [2, 3, 1, 1]],
];

function namedArrays(rng: Rng, std: () => number): [string, StoredArray][] {
  return OPTIM_SHAPES.map(([name, shape]) => [name, f32(shape, normal(rng, shape, std()))]);
}

const optimizerCases: Maker = (seed) => {
  const cases: CaseDef[] = [];
  for (const [label, maxNorm, scale] of [['clipped', 5, 3], ['unclipped', 5, 0.05]] as [string, number, number][]) {
    const id = `ops/clip_grad_norm/${label}`;
    const rng = caseRng(seed, id);
    const grads = namedArrays(rng, () => scale);
    const params = grads.map(([, a]) => {
      const p = tensor(a.shape, new Float32Array(a.data.length), true);
      p.grad = tensor(a.shape, (a.data as Float32Array).slice());
      return p;
    });
    const total = clipGradNorm(params, maxNorm);
    cases.push({
      id, level: 'ops', op: 'clip_grad_norm', attributes: { maxNorm, normType: 2 },
      description: `gradient clipping by global 2-norm at ${maxNorm} (${label}): every gradient times min(1, max_norm / (total + 1e-6))`,
      inputs: [tensorsFile('grads', grads)],
      outputs: [
        { file: tensorsFile('clipped', grads.map(([name], i) => [name, stored(params[i].grad!)])), tolerance: OPTIMIZER },
        { file: npyFile('total_norm', scalar(total)), tolerance: REDUCTION },
      ],
    });
  }
  const epochs = 20;
  for (const [label, betas, epoch, previousSteps] of [
    ['paper_betas_epoch0', [0.99, 0.999], 0, 0], ['torch_betas_epoch2', [0.9, 0.999], 2, 0], ['paper_betas_epoch9_step4', [0.99, 0.999], 9, 3],
  ] as [string, [number, number], number, number][]) {
    const id = `ops/adamw_step/${label}`;
    const rng = caseRng(seed, id);
    const lr = cosineLr(epoch, 1e-3, bnextSchedule(epochs));
    const params = namedArrays(rng, () => 0.5);
    const grads = namedArrays(rng, () => 10 ** (rng.int(4) - 3));
    const tensors = new Map(params.map(([name, a]) => [name, tensor(a.shape, (a.data as Float32Array).slice(), true)]));
    grads.forEach(([name, g]) => (tensors.get(name)!.grad = tensor(g.shape, (g.data as Float32Array).slice())));
    const members = [...tensors].map(([name, t]) => [name, t] as const);
    const other = members.filter(([n, t]) => !isLowDecayParameter(n, t));
    const weight = members.filter(([n, t]) => isLowDecayParameter(n, t));
    const optimizer = new AdamW([
      { name: 'other', params: other, weightDecay: OTHER_WEIGHT_DECAY },
      { name: 'weight', params: weight, weightDecay: WEIGHT_WEIGHT_DECAY },
    ], { lr, betas, eps: 1e-8 });
    const inputs = [tensorsFile('params', params), tensorsFile('grads', grads)];
    if (previousSteps > 0) {
      const expAvg = namedArrays(rng, () => 0.01);
      const expAvgSq = expAvg.map(([name, a]): [string, StoredArray] => [name, f32(a.shape, uniform(rng, a.shape, 1e-6, 1e-4))]);
      const state = optimizer.stateDict();
      optimizer.loadStateDict({
        groups: state.groups,
        steps: Object.fromEntries(members.map(([n]) => [n, previousSteps])),
        tensors: new Map([...expAvg.map(([n, a]) => [`${n}.exp_avg`, a.data as Float32Array] as const), ...expAvgSq.map(([n, a]) => [`${n}.exp_avg_sq`, a.data as Float32Array] as const)]),
      });
      inputs.push(tensorsFile('exp_avg', expAvg), tensorsFile('exp_avg_sq', expAvgSq));
    }
    optimizer.step();
    const after = optimizer.stateDict();
    const moment = (suffix: string): [string, StoredArray][] => members.map(([n, t]) => [n, f32(t.shape, after.tensors.get(`${n}.${suffix}`)!)]);
    cases.push({
      id, level: 'ops', op: 'adamw_step',
      attributes: {
        lr, epoch, epochs, betas, eps: 1e-8, stepsBefore: previousSteps,
        groups: [{ name: 'other', weightDecay: OTHER_WEIGHT_DECAY, params: other.map(([n]) => n) }, { name: 'weight', weightDecay: WEIGHT_WEIGHT_DECAY, params: weight.map(([n]) => n) }],
      },
      description: `one AdamW step (decoupled weight decay) at the schedule's lr for epoch ${epoch} of ${epochs} (${lr}), betas ${betas.join(', ')}, ` +
        `official groups: weight decay 1e-8 for 4-D and binary-conv parameters, 1e-3 for the rest${previousSteps ? `; moments from ${previousSteps} earlier steps` : ''}`,
      inputs,
      outputs: [
        { file: tensorsFile('params_after', members.map(([n, t]) => [n, stored(t)])), tolerance: OPTIMIZER },
        { file: tensorsFile('exp_avg_after', moment('exp_avg')), tolerance: OPTIMIZER },
        { file: tensorsFile('exp_avg_sq_after', moment('exp_avg_sq')), tolerance: OPTIMIZER },
      ],
    });
  }
  return cases;
};

/** Every op-level case, in a fixed order. */
export function opCases(seed: number): CaseDef[] {
  return [signCases, steCases, packCases, xnorCases, binarizeCases, quantizeCases, lossCases, scheduleCases, optimizerCases].flatMap((make) => make(seed));
}

