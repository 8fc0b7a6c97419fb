/** Integer tensors (class indices, argmax results): a shape over an Int32Array, outside autograd. */
import { checkShape, formatShape, type Shape, sizeOf } from './shape';

/** An integer tensor (class indices, argmax results). Not differentiable. */
export class IntTensor {
  readonly data: Int32Array;
  readonly shape: readonly number[];
  constructor(data: Int32Array, shape: Shape) {
    checkShape(shape, 'IntTensor');
    if (data.length !== sizeOf(shape)) {
      throw new Error(`IntTensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }
}
