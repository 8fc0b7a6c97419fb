/** `bnext landscape`: a tiny landscape of a run folder end to end, and the bad input it refuses before computing. */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { landscape } from '../../src/cli/commands/landscape';
import { UsageError } from '../../src/cli/args';
import { buildAnyModel, resolveAnyConfig } from '../../src/models/zoo';
import { manualSeed } from '../../src/tensor/random';
import { prepareRunFolder } from '../../src/train/run-folder';
import { writeStateDict } from '../../src/nn/state-dict-file';
import { readNpy } from '../../src/io/files';
import { decodePng } from '../../src/data/png';
import { randomDirections, writeDirections } from '../../src/analysis/landscape';
import { refusal } from '../helpers/commands';

/** Runs the command with its console output and progress line captured. */
async function run(argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  const write = process.stderr.write.bind(process.stderr);
  console.log = (line: string) => lines.push(line);
  process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
  try {
    expect(await landscape.run(argv)).to.equal(0);
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  return lines;
}

/** The one-line refusal of bad input, before any computing. */
async function usageError(argv: string[]): Promise<string> {
  const e = await refusal(landscape, argv);
  expect(e).to.be.instanceOf(UsageError);
  return e.message;
}

describe('cli: bnext landscape', function () {
  this.timeout(120_000);
  let root: string;
  let runDir: string;
  const arch = { arch: 'bnext', baseWidth: 8, stages: [1, 0, 0, 0] as [number, number, number, number], stemStride: 2, inChannels: 1, numClasses: 10 };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bnext-landscape-cli-'));
    runDir = join(root, 'student');
    const config = resolveAnyConfig(arch);
    prepareRunFolder(runDir, config, {});
    manualSeed(4);
    writeStateDict(join(runDir, 'model.safetensors'), buildAnyModel(config));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes the heat map, the loss grid, the top-1 grid, the directions and a summary with roughness', async () => {
    const out = join(root, 'figs', 'tiny');
    const lines = await run(['--run', runDir, '--grid', '3', '--range', '0.5', '--samples', '8', '--out', out, '--title', 'tiny']);
    expect(lines.join('\n')).to.match(/3x3 points in \[-0\.5, 0\.5\]², 8 train digits each/);
    for (const suffix of ['.png', '-3d.png', '.npy', '-top1.npy', '.json', '-directions.safetensors']) expect(existsSync(out + suffix), suffix).to.equal(true);
    const loss = readNpy(`${out}.npy`);
    expect(loss.shape).to.deep.equal([3, 3]);
    const summary = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as { centre: { loss: number }; coordinates: number[]; roughness: { localMinima: number }; samples: number };
    expect(summary.coordinates).to.deep.equal([-0.5, 0, 0.5]);
    expect(summary.samples).to.equal(8);
    expect(summary.centre.loss).to.equal(loss.data[4]);
    expect(summary.roughness.localMinima).to.be.within(0, 1);
    const png = decodePng(readFileSync(`${out}.png`), `${out}.png`);
    expect(png.width).to.be.above(400);
    // The saved directions reproduce the grid bit for bit.
    const again = join(root, 'again');
    await run(['--run', runDir, '--grid', '3', '--range', '0.5', '--samples', '8', '--out', again, '--directions', `${out}-directions.safetensors`]);
    expect(Array.from(readNpy(`${again}.npy`).data as Float32Array)).to.deep.equal(Array.from(loss.data as Float32Array));
  });

  it('gives the same bits for the same --seed, and another landscape for another seed', async () => {
    const grid = (seed: number, out: string) => ['--run', runDir, '--grid', '3', '--range', '0.5', '--samples', '4', '--seed', String(seed), '--out', join(root, out)];
    await run(grid(7, 'seed-7a'));
    await run(grid(7, 'seed-7b'));
    await run(grid(8, 'seed-8'));
    const bytes = (out: string, suffix: string) => readFileSync(join(root, out + suffix));
    for (const suffix of ['.npy', '-top1.npy', '-directions.safetensors', '.png']) expect(bytes('seed-7b', suffix).equals(bytes('seed-7a', suffix)), suffix).to.equal(true);
    expect(bytes('seed-8', '-directions.safetensors').equals(bytes('seed-7a', '-directions.safetensors'))).to.equal(false);
    expect(bytes('seed-8', '.npy').equals(bytes('seed-7a', '.npy'))).to.equal(false);
  });

  it('refuses bad options, a missing model, directions of another model and an unwritable output before computing', async () => {
    expect(await usageError(['--run', runDir, '--grid', '4'])).to.match(/--grid.*odd.*got 4/);
    expect(await usageError(['--run', runDir, '--grid', 'many'])).to.equal("landscape: --grid must be an integer, got 'many'");
    expect(await usageError(['--run', runDir, '--range', '-1'])).to.match(/--range.*got -1/);
    expect(await usageError(['--run', runDir, '--samples', '0'])).to.match(/--samples.*got 0/);
    expect(await usageError(['--run', runDir, '--split', 'val'])).to.equal("landscape: --split must be train or test, got 'val'");
    expect(await usageError(['--run', runDir, '--color-range', '1,0.5'])).to.match(/--color-range must be two rising numbers/);
    expect(await usageError(['--run', join(root, 'nothing')])).to.match(/--run .*nothing: no such folder/);
    expect(await usageError(['--grid', '3'])).to.equal('landscape: give exactly one of --run DIR and --weights FILE');
    const other = join(root, 'other.safetensors');
    manualSeed(0);
    const wide = buildAnyModel(resolveAnyConfig({ ...arch, baseWidth: 16 }));
    writeDirections(other, randomDirections(wide, 0));
    expect(await usageError(['--run', runDir, '--directions', other])).to.match(new RegExp(`^landscape: ${other}: direction x, .*: expected shape`));
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(await usageError(['--run', runDir, '--grid', '3', '--samples', '2', '--out', join(file, 'sub', 'ls')])).to.match(/--out .*a-file\/sub\/ls: cannot write/);
  });
});
