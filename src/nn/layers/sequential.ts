/** torch.nn.Sequential: children named '0', '1', … applied in order. */
import { Module } from '../module';
import { Tensor } from '../../tensor/tensor';

/** Layers applied in order, named 0, 1, 2, … in the state_dict. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => this.registerModule(String(i), m));
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.call(y);
    return y;
  }
}
