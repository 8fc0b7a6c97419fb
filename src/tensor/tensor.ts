/**
 * The N-d tensor: a row-major Float32Array and a shape, plus the fields reverse-mode autograd
 * needs (`requiresGrad`, `grad`, and the graph node that produced it).
 *
 * Tensors are always contiguous: reshape shares storage, every other layout change copies. This
 * keeps every kernel a plain loop over a typed array.
 */
import { formatShape, type Shape, storageShape } from './shape';
import type { OpAttrs, OpName } from '../autograd/op-attrs';

/**
 * The backward pass, handed over by autograd/graph.ts when it loads: that module imports the ops
 * (through the gradient rules), which import this one, so this one cannot import it. See the
 * doc comment of autograd/graph.ts for who loads it.
 */
let backwardImpl: ((root: Tensor, gradient?: Tensor) => void) | null = null;
export function setBackwardImpl(impl: (root: Tensor, gradient?: Tensor) => void): void {
  backwardImpl = impl;
}

/**
 * The record autograd keeps of the operation that produced a tensor: which op, its inputs, its
 * output and the attributes its backward rule needs (the ops and their attributes are listed in
 * autograd/op-attrs.ts). It is declared here, beside Tensor, because each refers to the other.
 */
export interface GraphNode<K extends OpName = OpName> {
  op: K;
  inputs: Tensor[];
  output: Tensor;
  attrs: OpAttrs[K];
}

/**
 * A float32 tensor: row-major data, a shape, and the autograd bookkeeping (gradient, producing
 * op).
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor (a leaf parameter, or anything computed from one). */
  requiresGrad: boolean;
  /** The accumulated gradient, for leaves that require it (or after `retainGrad`). */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, while the graph is being recorded. */
  node: GraphNode | null = null;
  /** Keep the gradient of this non-leaf tensor during backward. */
  retainsGrad = false;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false) {
    this.data = data;
    this.shape = storageShape(shape, data.length, 'Tensor');
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item: tensor of shape ${formatShape(this.shape)} has ${this.data.length} elements, expected 1`);
    return this.data[0];
  }

  /** Back-propagates from this tensor: `backward(this, gradient)` of autograd/graph.ts, once loaded. */
  backward(gradient?: Tensor): void {
    if (!backwardImpl) throw new Error('backward: the autograd module is not loaded (import src/index.ts, or backward from src/autograd/graph.ts)');
    backwardImpl(this, gradient);
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own storage, cut from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Marks a tensor as a leaf that collects gradients; returns it for chaining. */
  requireGrad(flag = true): this {
    if (this.node) throw new Error('requireGrad: only leaf tensors can be marked; use detach() first');
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}
