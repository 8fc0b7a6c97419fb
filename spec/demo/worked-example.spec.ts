/**
 * The page's pure parts (demo/src): a drawing becomes the student's 24x24 input as the training
 * digits were placed, and an output worked out from the packed words is the engine's.
 */
import { expect } from 'chai';
import { BOX, centreOnCanvas, DIGIT_SIZE, digitFromDrawing } from '../../demo/src/digit-image';
import { bitString, hexWord, workOutput } from '../../demo/src/worked-example';
import { packModel, type BinaryConvTrace } from '../../src/engine/packed-model';
import { packActivations, packWeights } from '../../src/binary/pack';
import { xnorConv2d } from '../../src/binary/xnor-conv';
import { conv2d } from '../../src/tensor/ops/conv';
import { sign } from '../../src/tensor/ops/elementwise';
import { randn } from '../../src/tensor/create';
import { Tensor } from '../../src/tensor/tensor';
import { Rng } from '../../src/tensor/random';
import { randomInput, randomModel } from '../engine/helpers';

describe('demo: the page\'s arithmetic', () => {
  it('works out every output of every binary convolution as the engine computes it', () => {
    // A stride-2 unit and a channel count that is not a multiple of 32 (two words, the last partly used).
    const model = randomModel({ arch: 'bnext', baseWidth: 20, stages: [1, 1, 0, 0], stemStride: 1, inChannels: 1, numClasses: 10 }, 'worked');
    const trace = packModel(model).trace(randomInput(new Rng('worked input'), [1, 1, 12, 12]));
    let outputs = 0, zeros = 0;
    for (const [key, conv] of trace.binaryConvs) {
      const [, cout, oh, ow] = conv.sums.shape;
      for (let co = 0; co < cout; co++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        const w = workOutput(conv, co, oy, ox);
        expect(w.sum, `${key} [${co}, ${oy}, ${ox}] from the definition`).to.equal(w.engine);
        if (w.zerosInvolved) zeros++;
        else expect(w.fast, `${key} [${co}, ${oy}, ${ox}] by the border constant`).to.equal(w.engine);
        outputs++;
      }
    }
    expect(outputs).to.be.greaterThan(1000);
    expect(zeros).to.equal(0);
    const first = trace.binaryConvs.values().next().value!;
    expect(() => workOutput(first, 0, 99, 0)).to.throw(/output \[0, 0, 99, 0\] is outside the convolution's output \[1, \d+, 12, 12\]/);
  });

  it('with exact zeros (sign 0) in activations and weights, still the float convolution of the signs', () => {
    const rng = new Rng('zeros');
    const x = randn([1, 40, 5, 5], rng);
    const w = randn([6, 40, 3, 3], rng);
    for (let i = 0; i < x.size; i += 7) x.data[i] = 0;
    for (let i = 0; i < w.size; i += 11) w.data[i] = 0;
    const expected = conv2d(sign(x), sign(w), null, { stride: 2, padding: 1 });
    const sums = new Float32Array(expected.size);
    const packed = packActivations(x.data, x.shape, 1);
    const weights = packWeights(w.data, w.shape);
    xnorConv2d(packed, weights, 2, sums);
    const conv: BinaryConvTrace = { input: x, shift: new Float32Array(40), packed, weights, stride: 2, sums: new Tensor(sums, expected.shape) };
    const [, cout, oh, ow] = expected.shape;
    let involved = 0;
    for (let co = 0; co < cout; co++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const worked = workOutput(conv, co, oy, ox);
      expect(worked.sum, `[${co}, ${oy}, ${ox}]`).to.equal(expected.data[(co * oh + oy) * ow + ox]);
      if (worked.zerosInvolved) involved++;
    }
    expect(involved).to.equal(cout * oh * ow);
  });

  it('prints words as bits and hex', () => {
    expect(bitString(0b1011, 4)).to.equal('1011');
    expect(bitString(-1)).to.equal('1'.repeat(32));
    expect(hexWord(-2)).to.equal('0xfffffffe');
  });

  it('turns a drawing into a centred 24x24 digit whose longer side is 20 pixels', () => {
    const [w, h] = [100, 80];
    const ink = new Uint8Array(w * h);
    // A tall bar in the top left corner: 10 wide, 60 high.
    for (let y = 5; y < 65; y++) for (let x = 3; x < 13; x++) ink[y * w + x] = 255;
    const digit = digitFromDrawing(ink, w, h)!;
    expect(digit.box).to.deep.equal({ left: 3, top: 5, width: 10, height: 60 });
    expect(digit.pixels.length).to.equal(DIGIT_SIZE * DIGIT_SIZE);
    let mass = 0, mx = 0, my = 0, top = DIGIT_SIZE, bottom = -1;
    digit.pixels.forEach((v, i) => {
      mass += v; mx += v * (i % DIGIT_SIZE); my += v * Math.floor(i / DIGIT_SIZE);
      if (v > 0) { top = Math.min(top, Math.floor(i / DIGIT_SIZE)); bottom = Math.max(bottom, Math.floor(i / DIGIT_SIZE)); }
    });
    expect(bottom - top + 1).to.equal(BOX);
    // The centre of mass at the frame's 14, i.e. 12 on the 24x24 canvas, to within a pixel's rounding.
    expect(Math.abs(mx / mass - 12)).to.be.at.most(0.5);
    expect(Math.abs(my / mass - 12)).to.be.at.most(0.5);
    expect(digitFromDrawing(new Uint8Array(w * h), w, h)).to.equal(null);
    expect(() => digitFromDrawing(ink, w, h + 1)).to.throw(/8000 values for a 100x81 drawing/);
    expect(centreOnCanvas(new Float32Array(4).fill(1), 2, 2).reduce((a, b) => a + b, 0)).to.equal(4);
  });
});
