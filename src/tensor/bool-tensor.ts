/** Boolean tensors (masks for `where`): a shape over 0/1 bytes, outside autograd. */
import { checkShape, formatShape, type Shape, sizeOf } from './shape';

/** A boolean tensor stored as 0/1 bytes (masks for `where`). Not differentiable. */
export class BoolTensor {
  readonly data: Uint8Array;
  readonly shape: readonly number[];
  constructor(data: Uint8Array, shape: Shape) {
    checkShape(shape, 'BoolTensor');
    if (data.length !== sizeOf(shape)) {
      throw new Error(`BoolTensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} elements, data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }
}
