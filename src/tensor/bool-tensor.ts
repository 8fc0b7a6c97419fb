/** Boolean tensors (masks for `where`): a shape over 0/1 bytes, outside autograd. */
import { type Shape, storageShape } from './shape';

/** A boolean tensor stored as 0/1 bytes (masks for `where`). Not differentiable. */
export class BoolTensor {
  readonly shape: readonly number[];
  constructor(readonly data: Uint8Array, shape: Shape) {
    this.shape = storageShape(shape, data.length, 'BoolTensor');
  }
}
