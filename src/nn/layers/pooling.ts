/** Pooling modules over NCHW inputs. */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../tensor/ops/pool';
import { flatten } from '../../tensor/ops/layout';

/** 2-D average pooling (kernel, stride, padding) as a layer. */
export class AvgPool2d extends Module {
  constructor(readonly kernel: number, readonly stride = kernel, readonly padding = 0) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernel, { stride: this.stride, padding: this.padding });
  }
}

/** 2-D max pooling (kernel, stride, padding) as a layer. */
export class MaxPool2d extends Module {
  constructor(readonly kernel: number, readonly stride = kernel, readonly padding = 0) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernel, { stride: this.stride, padding: this.padding });
  }
}

/** Average pooling to a fixed output size, as PyTorch's AdaptiveAvgPool2d. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number, number]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Flattens all dimensions after the batch dimension. */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return flatten(x, 1);
  }
}
