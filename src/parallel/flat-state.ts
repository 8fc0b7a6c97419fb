/**
 * A module's parameters, buffers and gradients as flat typed arrays, for sending between
 * threads: one Float32Array of all parameters (or gradients) in `namedParameters()` order, one
 * of the float buffers (BatchNorm running statistics, binarization temperatures) and one
 * Int32Array of the integer buffers (`num_batches_tracked`), in `namedBuffers()` order.
 *
 * Two replicas built from the same configuration have the same layout; `signature` lists it
 * (name and shape of every entry) so each side can check the other's before exchanging arrays.
 */
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import { formatShape } from '../tensor/shape';
import type { Module } from '../nn/module';

/** One entry's place in its flat array. */
interface Slot<T> {
  name: string;
  tensor: T;
  offset: number;
}

/** The gradients of one replica, flat; `present[k]` is 0 where parameter k has no gradient. */
export interface FlatGradients {
  grads: Float32Array;
  present: Uint8Array;
}

/** Rank-0 buffers as sent back after a step. */
export interface FlatBuffers {
  floats: Float32Array;
  ints: Int32Array;
}

function slots<T extends Tensor | IntTensor>(entries: [string, T][]): { slots: Slot<T>[]; size: number } {
  const out: Slot<T>[] = [];
  let size = 0;
  for (const [name, tensor] of entries) {
    out.push({ name, tensor, offset: size });
    size += tensor.data.length;
  }
  return { slots: out, size };
}

/** A module's state bound to flat arrays. Holds the module's own tensors, which stay valid across loads. */
export class FlatState {
  readonly params: Slot<Tensor>[];
  readonly floatBuffers: Slot<Tensor>[];
  readonly intBuffers: Slot<IntTensor>[];
  readonly paramSize: number;
  readonly floatBufferSize: number;
  readonly intBufferSize: number;

  constructor(readonly model: Module) {
    const p = slots(model.namedParameters());
    const floats: [string, Tensor][] = [];
    const ints: [string, IntTensor][] = [];
    for (const [name, b] of model.namedBuffers()) {
      if (b instanceof IntTensor) ints.push([name, b]);
      else floats.push([name, b]);
    }
    const f = slots(floats);
    const i = slots(ints);
    [this.params, this.paramSize] = [p.slots, p.size];
    [this.floatBuffers, this.floatBufferSize] = [f.slots, f.size];
    [this.intBuffers, this.intBufferSize] = [i.slots, i.size];
  }

  /** Every entry as "kind name [shape]", in order: equal signatures mean interchangeable arrays. */
  signature(): string[] {
    const line = (kind: string, s: Slot<Tensor | IntTensor>): string => `${kind} ${s.name} ${formatShape(s.tensor.shape)}`;
    return [...this.params.map((s) => line('parameter', s)), ...this.floatBuffers.map((s) => line('buffer', s)), ...this.intBuffers.map((s) => line('int buffer', s))];
  }

  packParameters(): Float32Array {
    const out = new Float32Array(this.paramSize);
    for (const s of this.params) out.set(s.tensor.data, s.offset);
    return out;
  }

  loadParameters(flat: Float32Array): void {
    checkLength('parameters', flat.length, this.paramSize);
    for (const s of this.params) s.tensor.data.set(flat.subarray(s.offset, s.offset + s.tensor.data.length));
  }

  packBuffers(): FlatBuffers {
    const floats = new Float32Array(this.floatBufferSize);
    for (const s of this.floatBuffers) floats.set(s.tensor.data, s.offset);
    const ints = new Int32Array(this.intBufferSize);
    for (const s of this.intBuffers) ints.set(s.tensor.data, s.offset);
    return { floats, ints };
  }

  loadBuffers(b: FlatBuffers): void {
    checkLength('float buffers', b.floats.length, this.floatBufferSize);
    checkLength('integer buffers', b.ints.length, this.intBufferSize);
    for (const s of this.floatBuffers) s.tensor.data.set(b.floats.subarray(s.offset, s.offset + s.tensor.data.length));
    for (const s of this.intBuffers) s.tensor.data.set(b.ints.subarray(s.offset, s.offset + s.tensor.data.length));
  }

  packGradients(): FlatGradients {
    const grads = new Float32Array(this.paramSize);
    const present = new Uint8Array(this.params.length);
    for (let k = 0; k < this.params.length; k++) {
      const s = this.params[k];
      if (!s.tensor.grad) continue;
      grads.set(s.tensor.grad.data, s.offset);
      present[k] = 1;
    }
    return { grads, present };
  }

  /**
   * Sets each parameter's `.grad` to a view of `g` (null where no replica had a gradient).
   * The views share `g`'s storage, so `g` must not be reused while the gradients are in use.
   */
  setGradients(g: FlatGradients): void {
    checkLength('gradients', g.grads.length, this.paramSize);
    checkLength('gradient flags', g.present.length, this.params.length);
    for (let k = 0; k < this.params.length; k++) {
      const s = this.params[k];
      s.tensor.grad = g.present[k] ? new Tensor(g.grads.subarray(s.offset, s.offset + s.tensor.data.length), s.tensor.shape) : null;
    }
  }
}

function checkLength(what: string, found: number, expected: number): void {
  if (found !== expected) throw new Error(`flat state: ${what} have ${found} values, the model ${expected}`);
}

/**
 * DistributedDataParallel's gradient: the replicas' gradients summed in rank order in float32,
 * then divided by the number of replicas. A parameter that some replicas left without a
 * gradient counts as zero there; one that none reached stays without a gradient.
 */
export function averageGradients(parts: readonly FlatGradients[]): FlatGradients {
  if (parts.length === 0) throw new Error('averageGradients: no replica gradients');
  const grads = new Float32Array(parts[0].grads);
  const present = new Uint8Array(parts[0].present);
  for (let r = 1; r < parts.length; r++) {
    const g = parts[r].grads;
    if (g.length !== grads.length) throw new Error(`averageGradients: replica ${r} sent ${g.length} gradient values, replica 0 sent ${grads.length}`);
    for (let i = 0; i < g.length; i++) grads[i] += g[i];
    const p = parts[r].present;
    for (let k = 0; k < present.length; k++) present[k] |= p[k];
  }
  const w = parts.length;
  if (w > 1) for (let i = 0; i < grads.length; i++) grads[i] /= w;
  return { grads, present };
}
