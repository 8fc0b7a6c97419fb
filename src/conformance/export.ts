/**
 * `bnext conformance export`: every case of the chosen levels, computed by bnext from one seed,
 * written as a bundle (bundle.ts; docs/golden-testing.md).
 */
import type { CaseDef } from './bundle';
import { writeBundle } from './bundle';
import { opCases } from './cases-ops';
import { layerCases } from './cases-layers';
import { type BundleSize, modelLevelCases } from './cases-models';
import { LEVELS, type Level } from './manifest';

/**
 * `exportBundle`'s options: the case levels, the seed of the inputs, the size of the model
 * cases, and the version recorded.
 */
export interface ExportOptions {
  levels: readonly Level[];
  seed: number;
  size: BundleSize;
  /** bnext's version, recorded in the manifest. */
  version: string;
}

export const DEFAULT_SEED = 0;

export function parseLevels(value: string): Level[] {
  if (value === 'all') return [...LEVELS];
  const levels = value.split(',');
  for (const l of levels) {
    if (!(LEVELS as readonly string[]).includes(l)) throw new Error(`unknown level '${l}' (expected ${LEVELS.join(', ')} or all)`);
  }
  return LEVELS.filter((l) => levels.includes(l));
}

export function bundleCases(o: Pick<ExportOptions, 'levels' | 'seed' | 'size'>): CaseDef[] {
  const cases: CaseDef[] = [];
  if (o.levels.includes('ops')) cases.push(...opCases(o.seed));
  if (o.levels.includes('layers')) cases.push(...layerCases(o.seed));
  if (o.levels.includes('models')) cases.push(...modelLevelCases(o.seed, o.size));
  return cases;
}

/** What `exportBundle` wrote: cases in all and per level, and bytes. */
export interface ExportSummary {
  cases: number;
  perLevel: Record<Level, number>;
  bytes: number;
}

/** Writes a conformance bundle (manifest.json, inputs and bnext's expected outputs) into `dir`. */
export function exportBundle(dir: string, o: ExportOptions): ExportSummary {
  const cases = bundleCases(o);
  const bytes = writeBundle(dir, cases, { seed: o.seed, levels: [...o.levels], version: o.version });
  const perLevel = { ops: 0, layers: 0, models: 0 };
  for (const c of cases) perLevel[c.level]++;
  return { cases: cases.length, perLevel, bytes };
}
