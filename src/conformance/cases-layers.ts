/**
 * The layer-level cases (docs/golden-testing.md, "Cases"): LearnableBias, PReLU, BatchNorm in
 * training and evaluation mode, squeeze-and-expand, the binary activation and convolution
 * (progressive binarization), every BNext unit (ELM-Attention, FFN_3x3, FFN_1x1, with and
 * without Info-Recoupling, stride 1 and 2) and each block of BNext and BNext-18.
 *
 * Each case runs one module with the official module and state_dict names on a seeded input,
 * back-propagates sum(y · dy) for a given dy, and expects the output, the gradient of the input
 * and of every parameter (in back-propagation order), and the state after the run.
 */
import { BinaryActivation, BinaryConv2d } from '../binary/layers';
import { BNEXT18_SIGN_THRESHOLD } from '../binary/binarize';
import { BatchNorm2d } from '../nn/layers/batchnorm';
import { PReLU } from '../nn/layers/prelu';
import type { Module } from '../nn/module';
import { BNextBlock } from '../models/bnext';
import { BNext18 } from '../models/bnext18';
import { BNEXT_FLAVOR, ElmAttention, FeedForwardUnit, LearnableBias, SqueezeAndExpand } from '../models/units';
import { withoutInit } from '../nn/init';
import type { Rng } from '../tensor/random';
import { type CaseDef, npyFile, shared, tensorsFile } from './bundle';
import { caseRng, f32, normal, stored, tensor, uniform, withZeros } from './data';
import type { Attributes } from './manifest';
import { backwardWith, changedState, floatStateArrays, gradientArrays, randomize, sampleInput, stateArrays, traced } from './modules';
import { EXACT, LAYER, SIGN_FORMATION, UNIT_GRADIENTS } from './tolerances';

interface LayerCase {
  id: string;
  description: string;
  attributes: Attributes;
  build: () => Module;
  inputShape: number[];
  training: boolean;
  temperature?: number;
  /** Input values, when the default images do not fit (e.g. the binary activation's edges). */
  input?: (rng: Rng, shape: number[]) => Float32Array;
}

/**
 * A case's seeded module, input and dy come from its family (the id without the mode), so the
 * training and evaluation cases of one layer share their input files.
 */
function layerCase(seed: number, c: LayerCase): CaseDef {
  const family = c.id.replace(/[_/](train|eval)$/, '');
  const rng = caseRng(seed, family);
  const module = withoutInit(c.build);
  randomize(module, rng, { temperature: c.temperature ?? 1e-8, runningStats: true });
  const params = stateArrays(module);
  const xData = c.input ? c.input(rng, c.inputShape) : sampleInput(rng, c.inputShape);
  module.train(c.training);
  const x = tensor(c.inputShape, xData.slice(), true);
  const { output, trace } = traced(module, () => module.call(x));
  const dy = normal(rng, output.shape);
  backwardWith(output, dy);
  const isSign = module instanceof BinaryActivation;
  const grads = gradientArrays(module, x);
  const outputs: CaseDef['outputs'] = [
    { file: npyFile('y', stored(output)), tolerance: isSign ? SIGN_FORMATION : LAYER },
    { file: tensorsFile('grads', grads), tolerance: isSign ? EXACT : c.training && trace.length > 1 ? UNIT_GRADIENTS : LAYER, trace: 'backward' },
  ];
  const after = changedState(new Map(params), floatStateArrays(module));
  if (after.length > 0) outputs.push({ file: tensorsFile('state_after', after), tolerance: LAYER });
  // Units and blocks: every submodule's output, to tell where inside the layer a backend differs.
  if (trace.length > 1) outputs.push({ file: tensorsFile('trace', trace), tolerance: LAYER, trace: 'forward' });
  return {
    id: c.id, level: 'layers', op: 'layer', description: c.description,
    attributes: { ...c.attributes, training: c.training },
    inputs: [tensorsFile('params', params), npyFile('x', f32(c.inputShape, xData)), npyFile('dy', f32(output.shape, dy))].map((f) => (family === c.id ? f : shared(family, f))),
    outputs,
  };
}

const mode = (training: boolean): string => (training ? 'train' : 'eval');

function simpleLayers(seed: number): CaseDef[] {
  const cases: CaseDef[] = [];
  cases.push(layerCase(seed, {
    id: 'layers/learnable_bias', description: 'LearnableBias: x + bias, bias [1, C, 1, 1] (the shift before binarization)',
    attributes: { layer: 'LearnableBias', channels: 6 }, build: () => new LearnableBias(6), inputShape: [2, 6, 4, 4], training: true,
  }));
  cases.push(layerCase(seed, {
    id: 'layers/prelu', description: 'PReLU: one slope per channel, negative slopes included',
    attributes: { layer: 'PReLU', channels: 6 }, build: () => new PReLU(6), inputShape: [2, 6, 4, 4], training: true,
  }));
  for (const training of [true, false]) {
    cases.push(layerCase(seed, {
      id: `layers/batchnorm2d/${mode(training)}`,
      description: training
        ? 'BatchNorm2d in training mode: biased batch variance to normalize, unbiased one into running_var, momentum 0.1, eps 1e-5'
        : 'BatchNorm2d in evaluation mode: the running statistics',
      attributes: { layer: 'BatchNorm2d', channels: 6, eps: 1e-5, momentum: 0.1 }, build: () => new BatchNorm2d(6), inputShape: [3, 6, 4, 4], training,
    }));
  }
  cases.push(layerCase(seed, {
    id: 'layers/squeeze_and_expand',
    description: 'squeeze-and-expand: sigmoid(conv1x1(relu(conv1x1(global average pool(x))))), reduction 8',
    attributes: { layer: 'SqueezeAndExpand', channels: 16, planes: 16, ratio: 8 }, build: () => new SqueezeAndExpand(16, 16), inputShape: [2, 16, 4, 4], training: true,
  }));
  for (const flavor of ['bnext', 'bnext18'] as const) {
    cases.push(layerCase(seed, {
      id: `layers/hard_sign/${flavor}`,
      description: `the binary activation (${flavor === 'bnext' ? 'BNext' : 'BNext-18, whose replace term carries +1'}): value (sign(x) - r) + r in float32 with r = clamp(x, -1.5, 1.5)${flavor === 'bnext18' ? ' + 1' : ''}, gradient dy where |x| <= 1.5`,
      attributes: { layer: 'HardSign', flavor, clip: 1.5 }, build: () => new BinaryActivation(flavor === 'bnext' ? 0 : 1), inputShape: [2, 4, 4, 4], training: true,
      input: (rng, shape) => {
        const x = withZeros(rng, uniform(rng, shape, -2.5, 2.5), 0.05);
        [1.5, -1.5, 0.1, -0.1].forEach((v, i) => (x[7 * i + 1] = v));
        return x;
      },
    }));
  }
  const convs: [string, number, boolean, 'bnext' | 'bnext18'][] = [
    ['train_t1', 1, true, 'bnext'], ['train_t0.3', 0.3, true, 'bnext'], ['train_t1e-8', 1e-8, true, 'bnext'],
    ['eval_t0.3', 0.3, false, 'bnext'], ['eval_t1e-8', 1e-8, false, 'bnext'], ['bnext18_eval_t3e-6', 3e-6, false, 'bnext18'],
  ];
  for (const [label, t, training, flavor] of convs) {
    const stride = label.includes('eval_t1e-8') ? 2 : 1;
    cases.push(layerCase(seed, {
      id: `layers/hard_binary_conv/${label}`,
      description: `binary convolution 6 -> 5, 3x3, stride ${stride}, zero padding 1, temperature ${t} (${flavor === 'bnext18' ? 'BNext-18: sign below 1e-5, latent clamp in evaluation too' : 'BNext: sign below 1e-7'}); ` +
        'training clamps the latent weight to [-1.5, 1.5] in place and passes the gradient straight through to it',
      attributes: { layer: 'HardBinaryConv', flavor, inChannels: 6, outChannels: 5, kernelSize: 3, stride, temperature: t },
      build: () => new BinaryConv2d(6, 5, 3, {
        stride,
        ...(flavor === 'bnext18' ? { threshold: BNEXT18_SIGN_THRESHOLD, clampInEval: true } : {}),
      }),
      inputShape: [2, 6, 5, 5], training, temperature: t,
      // The convolution's input is a binary activation's output in BNext: signs (with zeros).
      input: (rng, shape) => withZeros(rng, normal(rng, shape), 0.05).map(Math.sign),
    }));
  }
  return cases;
}

function bnextUnits(seed: number): CaseDef[] {
  const cases: CaseDef[] = [];
  const kinds: ['elm_attention' | 'ffn_3x3' | 'ffn_1x1', number[]][] = [['elm_attention', [1, 2]], ['ffn_3x3', [1, 2]], ['ffn_1x1', [1]]];
  for (const [kind, strides] of kinds) {
    for (const stride of strides) {
      for (const recoupling of [true, false]) {
        for (const training of [true, false]) {
          const k = kind === 'ffn_1x1' ? 1 : 3;
          const o = { kernelSize: k as 1 | 3, stride, recoupling, seChannels: 8, flavor: BNEXT_FLAVOR };
          const official = { elm_attention: 'Attention', ffn_3x3: 'FFN_3x3', ffn_1x1: 'FFN_1x1' }[kind];
          cases.push(layerCase(seed, {
            id: `layers/${kind}/s${stride}_${recoupling ? 'rcp' : 'norcp'}_${mode(training)}`,
            description: `BNext ${official} unit, 8 channels, stride ${stride}, ${recoupling ? 'with' : 'without'} Info-Recoupling, ${training ? 'training (batch statistics, in-place clamps)' : 'evaluation'} mode`,
            attributes: { layer: official, flavor: 'bnext', inplanes: 8, planes: 8, stride, recoupling },
            build: () => (kind === 'elm_attention' ? new ElmAttention(8, 8, o) : new FeedForwardUnit(8, 8, o)),
            inputShape: [2, 8, 4, 4], training,
          }));
        }
      }
    }
  }
  return cases;
}

function blocks(seed: number): CaseDef[] {
  const cases: CaseDef[] = [];
  const variants: [string, boolean, boolean][] = [['full', true, true], ['noelm', false, true], ['norcp', true, false], ['plain', false, false]];
  for (const [label, elm, recoupling] of variants) {
    for (const [shape, inplanes, planes, stride] of [['keep', 8, 8, 1], ['double', 8, 16, 2]] as [string, number, number, number][]) {
      for (const training of label === 'full' ? [true, false] : [true]) {
        cases.push(layerCase(seed, {
          id: `layers/bnext_block/${label}_${shape}_${mode(training)}`,
          description: `BNext block ${inplanes} -> ${planes}, stride ${stride}, "scale" mode (${elm ? 'ELM-Attention' : 'FFN_3x3'} first), ` +
            `${planes === inplanes ? 'one FFN_1x1' : 'FFN_1 and FFN_2 concatenated'}, ${recoupling ? 'with' : 'without'} Info-Recoupling, ${mode(training)} mode`,
          attributes: { layer: 'BasicBlock', flavor: 'bnext', inplanes, planes, stride, mode: 'scale', elmAttention: elm, infoRecoupling: recoupling },
          build: () => new BNextBlock(inplanes, planes, stride, 'scale', elm, recoupling),
          inputShape: [2, inplanes, 4, 4], training,
        }));
      }
    }
  }
  // BNext-18's units and blocks, taken from a narrow model (base width 8, one block per layer).
  const model = { arch: 'bnext-18' as const, baseWidth: 8, blocksPerLayer: [2, 1, 1, 1] as [number, number, number, number], numClasses: 10, inChannels: 3 };
  const parts: [string, string, string, number[]][] = [
    ['layer0.1', 'block', 'BasicBlock 8 -> 8, stride 1: ELM-Attention then FFN_3x3', [2, 8, 4, 4]],
    ['layer1.0', 'block', 'BasicBlock 8 -> 16, stride 2, downsample (2x2 average pool, 1x1 conv, BatchNorm) on the PReLU\'d shortcut', [2, 8, 4, 4]],
    ['layer1.0.Attention', 'attention', 'ELM-Attention 8 -> 16, stride 2 with downsample; the mix uses the shortcut', [2, 8, 4, 4]],
    ['layer1.0.FFN', 'ffn', 'FFN_3x3 16 -> 16 (clamps scale in evaluation too)', [2, 16, 2, 2]],
  ];
  for (const [path, kind, what, inputShape] of parts) {
    for (const training of [true, false]) {
      cases.push(layerCase(seed, {
        id: `layers/bnext18_${kind}/${path}_${mode(training)}`,
        description: `BNext-18 ${what}, ${mode(training)} mode (BNext-18's units: sign below t = 1e-5, latent clamp in evaluation too, HardSign's +1)`,
        attributes: { layer: 'BNext18.submodule', flavor: 'bnext18', model: { baseWidth: 8, blocksPerLayer: [2, 1, 1, 1], numClasses: 10 }, path },
        build: () => {
          const m = new BNext18(model).namedModules().find(([p]) => p === path);
          if (!m) throw new Error(`BNext-18 has no module ${path}`);
          return m[1];
        },
        inputShape, training,
      }));
    }
  }
  return cases;
}

/** Every layer-level case, in a fixed order. */
export function layerCases(seed: number): CaseDef[] {
  return [...simpleLayers(seed), ...bnextUnits(seed), ...blocks(seed)];
}
