import { expect } from 'chai';
import { parsePyLiteral, PyTuple } from '../../src/io/pyliteral';

describe('io/pyliteral', () => {
  it('parses the dicts numpy writes', () => {
    expect(parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n"))
      .to.deep.equal({ descr: '<f4', fortran_order: false, shape: new PyTuple([2, 3]) });
  });

  it('parses tuples of every length, lists, strings, None and negative numbers', () => {
    expect(parsePyLiteral('()')).to.deep.equal(new PyTuple([]));
    expect(parsePyLiteral('(7,)')).to.deep.equal(new PyTuple([7]));
    expect(parsePyLiteral('[("a", \'<f4\'), None, -3, True]')).to.deep.equal([new PyTuple(['a', '<f4']), null, -3, true]);
    expect(parsePyLiteral("'it\\'s'")).to.equal("it's");
    // As Python: an unknown escape keeps its backslash (numpy then refuses the mangled key).
    expect(parsePyLiteral("'fortran_ord\\er'")).to.equal('fortran_ord\\er');
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

  it('refuses nesting deeper than 32 levels instead of exhausting the stack', () => {
    expect(parsePyLiteral(`${'('.repeat(32)}1,${')'.repeat(32)}`)).to.be.instanceOf(PyTuple);
    expect(() => parsePyLiteral(`${'('.repeat(1_000_000)}`)).to.throw(/nesting deeper than 32 levels at character 32 of "\.\.\.\(+\.\.\."$/);
  });

  it('quotes only the text around an error, not a whole long header', () => {
    const text = `[${'7, '.repeat(1_000_000)}]`;
    expect((parsePyLiteral(text) as number[]).length).to.equal(1_000_000);
    expect(() => parsePyLiteral(`${text.slice(0, -1)} x`)).to.throw(/expected a Python literal at character 3000002 of "\.\.\., 7, 7, 7, 7, 7, 7, 7,  x"$/);
  });
});
