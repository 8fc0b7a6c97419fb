/** state_dict files (Node only): serialize.ts's safetensors bytes, read and written atomically. */
import { writeFileAtomic } from '../io/atomic';
import { readFileBytes } from '../io/files';
import { checkOptionNames, describeValue } from '../check';
import { type LoadReport, Module, type StateDict, type StateValue } from './module';
import { parseStateDict, serializeStateDict } from './serialize';

/** Reads every tensor of a safetensors file as a state_dict. */
export function readStateDict(path: string): StateDict {
  return parseStateDict(readFileBytes(path), path);
}

/** Writes a state_dict (or a module's) as safetensors, atomically. */
export function writeStateDict(path: string, dict: ReadonlyMap<string, StateValue> | Module, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, serializeStateDict(dict, metadata));
}

/**
 * Loads a safetensors state_dict file into a model. Strict by default: any missing, unexpected
 * or mismatched key fails the load, all of them named in one error, and nothing is loaded;
 * with `strict: false` the matching keys load and the report lists the rest.
 */
export function loadWeights(model: Module, path: string, options: { strict?: boolean } = {}): LoadReport {
  const fn = 'loadWeights';
  if (!(model instanceof Module)) throw new Error(`${fn}: model must be a Module (createModel gives one), got ${describeValue(model)}`);
  if (typeof path !== 'string') throw new Error(`${fn}: path must be a string, got ${describeValue(path)}`);
  const { strict } = checkOptionNames(fn, options, ['strict']);
  return model.loadStateDict(readStateDict(path), { strict: strict ?? true, source: path });
}
