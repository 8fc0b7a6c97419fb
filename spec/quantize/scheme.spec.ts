import { expect } from 'chai';
import { parseQuantization } from '../../src/quantize/scheme';

describe('quantize/scheme', () => {
  it('reads the presets and the paper\'s I-S-E-O notation', () => {
    expect(parseQuantization('none')).to.equal(null);
    expect(parseQuantization('paper')).to.deep.equal({
      name: 'paper',
      input: { weight: 8, activation: null },
      squeeze: { weight: 4, activation: 8 },
      expand: { weight: 4, activation: 8 },
      output: { weight: 8, activation: 8 },
    });
    expect(parseQuantization('w8')!.squeeze).to.deep.equal({ weight: 8, activation: 8 });
    const t7 = parseQuantization('8/8-4/4-4/4-8/8')!;
    expect([t7.squeeze, t7.expand]).to.deep.equal([{ weight: 4, activation: 4 }, { weight: 4, activation: 4 }]);
    const seOnly = parseQuantization('32/32-4/32-4/8-32/32')!;
    expect([seOnly.input, seOnly.squeeze, seOnly.expand, seOnly.output]).to.deep.equal([null, { weight: 4, activation: null }, { weight: 4, activation: 8 }, null]);
  });

  it('refuses bad values, saying what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['8bit', /--quantize must be none, paper, w8 or four weight\/activation bit pairs .* such as 8\/8-4\/8-4\/8-8\/8 \(paper Table 7\); '8bit' has 1 part$/],
      ['8/8-4/8-8/8', /'8\/8-4\/8-8\/8' has 3 parts/],
      ['8/8-4-4/8-8/8', /has '4' for the squeeze layer, not W\/A/],
      ['8/8-2/8-4/8-8/8', /has 2-bit weights for the squeeze layer: weights take 4, 8 or 32 bits/],
      ['8/4-4/8-4/8-8/8', /has 4-bit activations for the input layer: its input is the image \(8 or 32, neither quantized\)/],
      ['8/8-4/8-4/1-8/8', /has 1-bit activations for the expand layer: activations take 2 to 8 or 32 bits/],
      ['8/8-4/8-4/8-32/8', /has '32\/8' for the output layer: float32 weights \(32\) go with float activations \(32\)/],
    ];
    for (const [value, message] of cases) expect(() => parseQuantization(value), value).to.throw(message);
  });
});
