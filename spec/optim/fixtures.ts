/**
 * Reading the training goldens of fixtures/optim/ (written by fixtures/export/export_optim.py;
 * its docstring gives the layout): tensors are keyed `<case>/<what>/<param>` or `<case>/<what>`,
 * and each case's metadata is a JSON object.
 */
import { readSafetensors } from '../../src/io/files';
import { toTensor, type StoredArray } from '../../src/io/stored';
import { Tensor } from '../../src/tensor/tensor';
import type { JsonValue } from '../helpers/golden';

export const OPTIM_FIXTURES = 'fixtures/optim';

export interface FixtureCase {
  name: string;
  meta: { [key: string]: JsonValue };
  /** The stored array `<case>/<key>`, or null. */
  get(key: string): StoredArray | null;
  /** A float tensor with its own storage (safe to update in place); throws if absent. */
  tensor(key: string, requiresGrad?: boolean): Tensor;
}

/** Every case of `fixtures/optim/<file>`, in metadata order. */
export function loadFixtureCases(file: string): FixtureCase[] {
  const path = `${OPTIM_FIXTURES}/${file}`;
  const { tensors, metadata } = readSafetensors(path);
  return Object.entries(metadata).map(([name, json]) => {
    const get = (key: string): StoredArray | null => tensors.get(`${name}/${key}`) ?? null;
    return {
      name,
      meta: JSON.parse(json) as { [key: string]: JsonValue },
      get,
      tensor(key: string, requiresGrad = false): Tensor {
        const arr = get(key);
        if (!arr) throw new Error(`${path}: case ${name} has no '${name}/${key}'`);
        const t = toTensor(arr, `${path} ${name}/${key}`);
        return new Tensor(t.data.slice(), t.shape, requiresGrad);
      },
    };
  });
}

/**
 * The largest |ours - torch| / max(|torch|, floor) over the elements: a relative error that
 * does not blow up on elements near zero (`floor` is in the data's units).
 */
export function relativeError(ours: ArrayLike<number>, torch: ArrayLike<number>, floor: number): number {
  if (ours.length !== torch.length) throw new Error(`relativeError: ${ours.length} values against ${torch.length}`);
  let worst = 0;
  for (let i = 0; i < torch.length; i++) {
    const e = Math.abs(ours[i] - torch[i]) / Math.max(Math.abs(torch[i]), floor);
    if (Number.isNaN(e)) return Infinity;
    if (e > worst) worst = e;
  }
  return worst;
}
