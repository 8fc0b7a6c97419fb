/** Integer tensors (class indices, argmax results): a shape over an Int32Array, outside autograd. */
import { type Shape, storageShape } from './shape';

/** An integer tensor (class indices, argmax results). Not differentiable. */
export class IntTensor {
  readonly shape: readonly number[];
  constructor(readonly data: Int32Array, shape: Shape) {
    this.shape = storageShape(shape, data.length, 'IntTensor');
  }
}
