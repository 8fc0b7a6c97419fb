/** Parameter-free activation modules. */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';
import { hardSigmoid, relu, sigmoid } from '../../tensor/ops/elementwise';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class HardSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardSigmoid(x);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
