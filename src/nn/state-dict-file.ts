/**
 * state_dict files (Node only): serialize.ts's bytes, read whole (safetensors, or torch.save
 * files: docs/torch-checkpoints.md) and written as safetensors atomically.
 */
import { checkOptionNames, describeValue } from '../check';
import { writeFileAtomic } from '../io/atomic';
import { readWeightsFile } from '../io/files';
import { type ReadWeightsOptions, type WeightsSource, weightsSourceOf } from '../io/weights-file';
import { type LoadReport, Module, type StateDict, type StateValue } from './module';
import { serializeStateDict, stateDictOf } from './serialize';

/** Reads every tensor of a safetensors file, or the state_dict of a torch.save file. */
export function readStateDict(path: string, options: ReadWeightsOptions = {}): StateDict {
  return stateDictOf(readWeightsFile(path, options), path);
}

/** Writes a state_dict (or a module's) as safetensors, atomically. */
export function writeStateDict(path: string, dict: ReadonlyMap<string, StateValue> | Module, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, serializeStateDict(dict, metadata));
}

/** `loadWeights`'s options. */
export interface LoadWeightsOptions extends ReadWeightsOptions {
  /** Refuse missing, unexpected or mismatched keys (default true). */
  strict?: boolean;
}

/** What loading a weights file did: the key report, and the file it came from. */
export interface WeightsLoadReport extends LoadReport {
  file: WeightsSource;
}

/**
 * Loads a state_dict file (safetensors or torch.save) into a model. Strict by default: any
 * missing, unexpected or mismatched key fails the load, all of them named in one error, and
 * nothing is loaded; with `strict: false` the matching keys load and the report lists the rest.
 */
export function loadWeights(model: Module, path: string, options: LoadWeightsOptions = {}): WeightsLoadReport {
  const fn = 'loadWeights';
  if (!(model instanceof Module)) throw new Error(`${fn}: model must be a Module (createModel gives one), got ${describeValue(model)}`);
  if (typeof path !== 'string') throw new Error(`${fn}: path must be a string, got ${describeValue(path)}`);
  const { strict, ...read } = checkOptionNames(fn, options, ['strict', 'stateDictKey']);
  const file = readWeightsFile(path, read);
  const report = model.loadStateDict(stateDictOf(file, path), { strict: strict ?? true, source: path });
  return { ...report, file: weightsSourceOf(file) };
}
