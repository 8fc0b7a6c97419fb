import { expect } from 'chai';
import { parsePyLiteral } from '../../src/io/pyliteral';

describe('io/pyliteral', () => {
  it('parses the dicts numpy writes', () => {
    expect(parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n"))
      .to.deep.equal({ descr: '<f4', fortran_order: false, shape: [2, 3] });
  });

  it('parses tuples of every length, lists, strings, None and negative numbers', () => {
    expect(parsePyLiteral('()')).to.deep.equal([]);
    expect(parsePyLiteral('(7,)')).to.deep.equal([7]);
    expect(parsePyLiteral('[("a", \'<f4\'), None, -3, True]')).to.deep.equal([['a', '<f4'], null, -3, true]);
    expect(parsePyLiteral("'it\\'s'")).to.equal("it's");
  });

  it('treats __proto__ as an ordinary key', () => {
    const d = parsePyLiteral("{'__proto__': 1}") as Record<string, number>;
    expect(Object.keys(d)).to.deep.equal(['__proto__']);
  });

  it('reports where parsing failed', () => {
    expect(() => parsePyLiteral("{'a': 1")).to.throw(/expected ',' or '}' at character 7/);
    expect(() => parsePyLiteral('(1, 2) x')).to.throw(/unexpected text after the literal at character 7/);
    expect(() => parsePyLiteral("{'a': os.system('x')}")).to.throw(/expected a Python literal at character 6/);
    expect(() => parsePyLiteral("'abc")).to.throw(/unterminated string/);
    expect(() => parsePyLiteral('12345678901234567890')).to.throw(/too large/);
  });
});
