/** Parameter-free activation modules. */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { hardSigmoid, relu, sigmoid } from '../../tensor/ops/elementwise';

/** max(x, 0) as a layer. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** 1 / (1 + exp(-x)) as a layer. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** PyTorch's hard sigmoid, clamp(x / 6 + 1/2, 0, 1), as a layer. */
export class HardSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardSigmoid(x);
  }
}

/** Returns its input (a placeholder layer). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
