/** `bnext kc`: KC from a count or one of our architectures, Table 8, and its usage errors. */
import { expect } from 'chai';
import { kc } from '../../src/cli/commands/kc';
import { UsageError } from '../../src/cli/args';
import { knowledgeComplexity } from '../../src/distill/knowledge-complexity';

async function output(argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    expect(await kc.run(argv)).to.equal(0);
  } finally {
    console.log = log;
  }
  return lines;
}

async function usageError(argv: string[]): Promise<string> {
  try {
    await kc.run(argv);
  } catch (e) {
    expect(e).to.be.instanceOf(UsageError);
    return (e as Error).message;
  }
  return expect.fail(`kc ${argv.join(' ')} did not fail`);
}

describe('cli: bnext kc', () => {
  it('prints the KC of a parameter count and a top-1 in percent', async () => {
    expect(await output(['--params', '5288548', '--top1', '77.53'])).to.deep.equal(['KC = 0.893 (params 5288548, top-1 77.53%)']);
    const [json] = await output(['--params', '5.3M', '--top1', '77.53%', '--json']);
    expect(JSON.parse(json)).to.deep.equal({ params: 5300000, top1: 77.53, kc: knowledgeComplexity(5.3e6, 0.7753) });
  });

  it('counts the parameters of one of our architectures', async () => {
    const [json] = await output(['--arch', 'bnext', '--base-width', '8', '--stages', '1,1,1,1', '--classes', '10', '--top1', '98', '--json']);
    const r = JSON.parse(json) as { params: number; kc: number };
    expect(r.params).to.be.above(1000);
    expect(r.kc).to.equal(knowledgeComplexity(r.params, 0.98));
  });

  it('--table8 prints the ten teachers with our KC beside the paper\'s', async () => {
    const lines = await output(['--table8']);
    expect(lines).to.have.length(11);
    expect(lines[4]).to.match(/^EfficientNet-B0\s+5288548\s+77\.53\s+0\.893\s+0\.893$/);
    const rows = JSON.parse((await output(['--table8', '--json']))[0]) as { teacher: string; kc: number }[];
    expect(rows.map((r) => r.teacher)).to.include('ConvNext-B');
  });

  it('refuses missing or conflicting inputs, and a top-1 outside [0, 100]', async () => {
    expect(await usageError(['--top1', '70'])).to.equal('kc: give exactly one of --params P and --arch A (or --table8)');
    expect(await usageError(['--params', '5M', '--arch', 'bnext-t', '--top1', '70'])).to.match(/exactly one of/);
    expect(await usageError(['--params', '5M'])).to.match(/--top1 is required/);
    expect(await usageError(['--params', '5M', '--top1', '0.7753x'])).to.match(/--top1 must be a percentage in \[0, 100\], got '0.7753x'/);
    expect(await usageError(['--params', 'five', '--top1', '70'])).to.match(/--params must be a count like 5288548, 5.29M or 530K, got 'five'/);
    expect(await usageError(['--table8', '--top1', '70'])).to.match(/--table8 takes no other options/);
  });
});
