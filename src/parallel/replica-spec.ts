/**
 * What a worker thread needs to rebuild the models of a data-parallel run: the student's
 * configuration (its weights follow with every step), and each teacher as a configuration plus
 * weights (a model of ours) or as its table of precomputed logits. Only plain data crosses the
 * thread boundary, so everything here is structured-clone safe.
 */
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Module, StateDict } from '../nn/module';
import { withoutInit } from '../nn/init';
import { type AnyModelConfig, buildAnyModel } from '../models/zoo';
import { BNext } from '../models/bnext';
import { BNext18 } from '../models/bnext18';
import { Cnn } from '../models/cnn';
import { LogitsFileTeacher, ModuleTeacher, type Teacher } from '../distill/teacher';

/** A state_dict entry as plain data. */
export interface PlainStateEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export type TeacherSpec =
  | { kind: 'model'; name: string; numClasses: number; config: AnyModelConfig; state: PlainStateEntry[] }
  | { kind: 'logits'; name: string; source: string; shape: number[]; table: Float32Array };

/** The configuration a model was built from; only the zoo's models (zoo.ts) can be rebuilt elsewhere. */
export function configOf(model: Module, what: string): AnyModelConfig {
  if (model instanceof BNext || model instanceof BNext18 || model instanceof Cnn) return model.config;
  throw new Error(`${what}: a ${model.constructor.name} is not one of the zoo's models (BNext, BNext-18, CNN), so worker threads cannot rebuild it; train with workers: 1`);
}

export function plainState(model: Module): PlainStateEntry[] {
  return [...model.stateDict()].map(([name, v]) => ({
    name,
    dtype: v instanceof IntTensor ? 'int32' : 'float32',
    shape: [...v.shape],
    data: v.data.slice(),
  }));
}

function stateFromPlain(entries: readonly PlainStateEntry[]): StateDict {
  const dict: StateDict = new Map();
  for (const e of entries) {
    dict.set(e.name, e.dtype === 'int32' ? new IntTensor(e.data as Int32Array, e.shape) : new Tensor(e.data as Float32Array, e.shape));
  }
  return dict;
}

/** Builds a zoo model from its configuration and loads the given weights (strictly). */
export function rebuildModel(config: AnyModelConfig, state: readonly PlainStateEntry[], what: string): Module {
  const model = withoutInit(() => buildAnyModel(config));
  model.loadStateDict(stateFromPlain(state), { source: `of ${what}` });
  return model;
}

export function teacherSpec(t: Teacher): TeacherSpec {
  if (t instanceof ModuleTeacher) {
    return { kind: 'model', name: t.name, numClasses: t.numClasses, config: configOf(t.model, `teacher ${t.name}`), state: plainState(t.model) };
  }
  if (t instanceof LogitsFileTeacher) {
    return { kind: 'logits', name: t.name, source: t.source, shape: [...t.table.shape], table: t.table.data };
  }
  throw new Error(`teacher ${t.name}: only model teachers and logits-file teachers can be sent to worker threads; train with workers: 1`);
}

export function teacherFromSpec(s: TeacherSpec): Teacher {
  if (s.kind === 'model') return new ModuleTeacher(s.name, rebuildModel(s.config, s.state, `teacher ${s.name}`), s.numClasses);
  return new LogitsFileTeacher(s.name, new Tensor(s.table, s.shape), s.source);
}
