/**
 * `bnext landscape`: the loss around trained weights along two filter-normalized random
 * directions (paper Fig. 2 and Fig. 6; analysis/landscape.ts), as a PNG heat map with contour
 * lines and a 3-D view, the loss grid as .npy, and a JSON summary with roughness measures (analysis/roughness.ts).
 * Every option, the model, the directions and the output folder are checked before the first of
 * the grid's evaluations, which take minutes.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from '../command';
import { intOption, numberOption, parseArgs, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { buildAnyModel, describeConfig, resolveAnyConfig } from '../../models/zoo';
import type { Module } from '../../nn/module';
import { withoutInit } from '../../nn/init';
import { loadWeights } from '../../nn/state-dict-file';
import { DIGITS_SIZE, DIGITS_STUDENT, digitsDatasets } from '../../train/recipe';
import { ProgressBar } from '../../train/progress';
import { loadRun, writeJson } from '../../train/run-folder';
import { writeNpy } from '../../io/files';
import {
  checkDirections, checkGrid, type Directions, lossLandscape, randomDirections, readDirections, spreadSubset, writeDirections,
} from '../../analysis/landscape';
import { roughness } from '../../analysis/roughness';
import { writeHeatmap } from '../../analysis/heatmap';
import { writeSurface } from '../../analysis/surface';

const DEFAULTS = { grid: 21, range: 1, samples: 500, seed: 0, batchSize: 256, levels: 12 };

const USAGE = `usage: bnext landscape (--run DIR | --weights W.safetensors [architecture options]) [--out PREFIX]
                       [--grid N] [--range R] [--samples N] [--split train|test] [--seed S]
                       [--directions F.safetensors] [--title T] [--color-range LO,HI] [--linear]

Evaluates the mean cross-entropy of a trained model on the embedded digits (centred on ${DIGITS_SIZE}x${DIGITS_SIZE}, unaugmented)
at the weights θ + a·dx + b·dy for an N x N grid of (a, b) in [-R, R]², dx and dy two random Gaussian
directions with every filter rescaled to the norm of the model's filter (Li et al., 2018; only
convolution and linear weights move, BatchNorm, biases, PReLU, shifts and scales do not). Writes
PREFIX.png (heat map, contour lines, colour bar), PREFIX-3d.png (the surface), PREFIX.npy (the loss, [N, N] float32, row j at
b = the j-th coordinate), PREFIX-top1.npy, PREFIX.json (coordinates, settings, roughness) and
PREFIX-directions.safetensors (to recompute with --directions). docs/landscapes.md shows examples.

  --run DIR              a run folder (config.json + model.safetensors), e.g. runs/digits/student
  --weights FILE         a state_dict instead, for the architecture options (default: the recipe's student)
${ARCH_USAGE}
  --out PREFIX           output files' prefix (default DIR/landscape with --run, else landscape)
  --grid N               points per axis, odd, 3 to 201 (default ${DEFAULTS.grid}); N² evaluations
  --range R              the grid spans [-R, R] on both axes (default ${DEFAULTS.range})
  --samples N            digits the loss is averaged over, spread over the split (default ${DEFAULTS.samples})
  --split S              train (default, as Li et al.) or test
  --seed S               seed of the two directions (default ${DEFAULTS.seed})
  --directions F         the directions of an earlier run (its PREFIX-directions.safetensors)
  --title T              the figure's title (default: the model)
  --color-range LO,HI    loss values at the ends of the colour bar (default: the grid's extremes),
                         to draw several landscapes on one scale
  --levels N             contour levels (default ${DEFAULTS.levels})
  --linear               colour by the loss, not its logarithm
  --batch-size B         digits per forward pass (default ${DEFAULTS.batchSize})`;

const VALUED = ['run', 'weights', 'out', 'grid', 'range', 'samples', 'split', 'seed', 'directions', 'title', 'color-range', 'levels', 'batch-size'];

/** Runs a check of the library, reporting what it refuses as bad input (one line, exit code 1). */
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function colorRange(value: string | undefined, linear: boolean): [number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p)) || !(parts[1] > parts[0]) || (!linear && !(parts[0] > 0))) {
    throw new UsageError(`landscape: --color-range must be two rising numbers LO,HI${linear ? '' : ', LO > 0 on the log scale'}, got '${value}'`);
  }
  return [parts[0], parts[1]];
}

/** The model of --run or --weights, with a description for the figure. */
function modelFrom(args: ReturnType<typeof parseArgs>): { model: Module; description: string; source: string } {
  const run = args.options.get('run');
  const weights = args.options.get('weights');
  if ((run === undefined) === (weights === undefined)) throw new UsageError('landscape: give exactly one of --run DIR and --weights FILE');
  if (run !== undefined) {
    if (!existsSync(run)) throw new UsageError(`landscape: --run ${run}: no such folder`);
    const { config, model } = loadRun(run);
    return { model, description: describeConfig(config), source: run };
  }
  const config = resolveAnyConfig(archOptionsFrom(args, 'landscape', DIGITS_STUDENT));
  if (config.inChannels !== 1 || config.numClasses !== 10) throw new UsageError(`landscape: the digits need --in-channels 1 and --classes 10, got ${config.inChannels} and ${config.numClasses}`);
  if (!existsSync(weights!)) throw new UsageError(`landscape: --weights ${weights}: no such file`);
  const model = withoutInit(() => buildAnyModel(config));
  loadWeights(model, weights!);
  return { model, description: describeConfig(config), source: weights! };
}

export const landscape: Command = {
  name: 'landscape',
  summary: 'the loss landscape around trained weights (paper Fig. 2): heat map, .npy grid, roughness',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, [...ARCH_VALUED, ...VALUED], [...ARCH_FLAGS, 'linear'], 'landscape');
    const grid = { points: intOption(args, 'grid', DEFAULTS.grid, 'landscape'), range: numberOption(args, 'range', DEFAULTS.range, 'landscape') };
    usage(() => checkGrid(grid));
    const split = args.options.get('split') ?? 'train';
    if (split !== 'train' && split !== 'test') throw new UsageError(`landscape: --split must be train or test, got '${split}'`);
    const batchSize = intOption(args, 'batch-size', DEFAULTS.batchSize, 'landscape');
    if (batchSize < 1) throw new UsageError(`landscape: --batch-size must be at least 1, got ${batchSize}`);
    const levels = intOption(args, 'levels', DEFAULTS.levels, 'landscape');
    if (levels < 1 || levels > 100) throw new UsageError(`landscape: --levels must be from 1 to 100, got ${levels}`);
    const linear = args.flags.has('linear');
    const range = colorRange(args.options.get('color-range'), linear);
    const seed = intOption(args, 'seed', DEFAULTS.seed, 'landscape');
    const digits = digitsDatasets()[split];
    const data = usage(() => spreadSubset(digits, intOption(args, 'samples', Math.min(DEFAULTS.samples, digits.count), 'landscape')));

    const { model, description, source } = modelFrom(args);
    for (const [name, p] of model.namedParameters()) {
      const bad = p.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UsageError(`landscape: ${source}: parameter ${name} has ${p.data[bad]} at element ${bad}`);
    }
    const directionsFile = args.options.get('directions');
    let directions: Directions;
    if (directionsFile !== undefined) {
      if (!existsSync(directionsFile)) throw new UsageError(`landscape: --directions ${directionsFile}: no such file`);
      directions = readDirections(directionsFile);
    } else {
      directions = randomDirections(model, seed);
    }
    usage(() => checkDirections(model, directions, `landscape: ${directionsFile ?? `the directions of seed ${seed}`}`));
    const run = args.options.get('run');
    const prefix = args.options.get('out') ?? (run !== undefined ? join(run, 'landscape') : 'landscape');
    try {
      mkdirSync(dirname(prefix), { recursive: true });
      accessSync(dirname(prefix), constants.W_OK);
    } catch (err) {
      throw new UsageError(`landscape: --out ${prefix}: cannot write to ${dirname(prefix)} (${(err as Error).message})`);
    }

    const points = grid.points * grid.points;
    console.log(`landscape of ${description} (${source}): ${grid.points}x${grid.points} points in [-${grid.range}, ${grid.range}]², ${data.count} ${split} digits each, directions ${directionsFile ?? `of seed ${seed}`}`);
    const bar = new ProgressBar('landscape', points * data.count);
    const started = performance.now();
    let last = { loss: NaN, top1: NaN };
    const result = lossLandscape({
      ...grid, model, data, directions, batchSize,
      onPoint: (done, _total, p) => {
        last = p;
        bar.update(done * data.count, { loss: p.loss, top1: p.top1, imagesPerSecond: (1000 * done * data.count) / (performance.now() - started) });
      },
    });
    bar.done({ ...last, imagesPerSecond: (1000 * points * data.count) / (performance.now() - started) });

    const n = grid.points;
    const centre = ((n - 1) / 2) * n + (n - 1) / 2;
    const measures = roughness(result.loss, n, n);
    let lowest = 0;
    for (let i = 1; i < result.loss.length; i++) if (result.loss[i] < result.loss[lowest]) lowest = i;
    const coords = Array.from(result.coordinates);
    writeNpy(`${prefix}.npy`, { dtype: 'F32', shape: [n, n], data: result.loss });
    writeNpy(`${prefix}-top1.npy`, { dtype: 'F32', shape: [n, n], data: result.top1 });
    writeDirections(`${prefix}-directions.safetensors`, directions);
    const figure = { title: args.options.get('title') ?? description, coordinates: coords, logScale: !linear, ...(range ? { colorRange: range } : {}) };
    writeHeatmap(`${prefix}.png`, result.loss, { ...figure, levels });
    writeSurface(`${prefix}-3d.png`, result.loss, figure);
    writeJson(`${prefix}.json`, {
      model: description, source, split, samples: data.count, grid: n, range: grid.range, seed: directionsFile ? null : seed,
      directions: directionsFile ?? null, coordinates: coords,
      centre: { loss: result.loss[centre], top1: result.top1[centre] },
      lowest: { loss: result.loss[lowest], top1: result.top1[lowest], x: coords[lowest % n], y: coords[Math.floor(lowest / n)] },
      highest: Math.max(...result.loss),
      roughness: measures,
      seconds: (performance.now() - started) / 1000,
    });
    console.log(
      `loss at the trained weights ${result.loss[centre].toFixed(4)} (top-1 ${result.top1[centre].toFixed(2)}%), lowest ${result.loss[lowest].toFixed(4)}; ` +
      `roughness: mean |second difference| ${measures.meanAbsSecondDifference.toFixed(4)}, / mean |first difference| ${measures.secondToFirst.toFixed(3)}, ${measures.localMinima} local minima`,
    );
    console.log(`wrote ${prefix}.png, ${prefix}-3d.png, ${prefix}.npy, ${prefix}-top1.npy, ${prefix}.json, ${prefix}-directions.safetensors`);
    return 0;
  },
};
