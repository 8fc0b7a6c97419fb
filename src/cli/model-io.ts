/** Loading models, inputs and targets for the CLI, with errors that name the file. */
import { readNpy } from '../io/npy';
import { toIntTensor, toTensor } from '../io/stored';
import { IntTensor, Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import { withoutInit } from '../nn/init';
import { loadWeights } from '../nn/serialize';
import { buildModel, type BNextModel } from '../models/factory';
import type { ModelConfig } from '../models/config';
import { UsageError } from './args';

/** Builds the architecture and loads a state_dict into it strictly. */
export function loadModel(config: ModelConfig, weightsPath: string): BNextModel {
  const model = withoutInit(() => buildModel(config));
  loadWeights(model, weightsPath);
  return model;
}

/** A float32 NCHW batch from .npy, checked against the model's input channels. */
export function readInputBatch(path: string, inChannels: number): Tensor {
  const x = toTensor(readNpy(path), path);
  if (x.ndim !== 4) throw new UsageError(`${path}: input must be 4-D [N, C, H, W], found shape ${formatShape(x.shape)}`);
  if (x.shape[1] !== inChannels) throw new UsageError(`${path}: input has ${x.shape[1]} channels, the model expects ${inChannels} (shape ${formatShape(x.shape)})`);
  return x;
}

/** Integer class targets [N] from .npy, checked against the batch size and class count. */
export function readTargets(path: string, batch: number, numClasses: number): IntTensor {
  const t = toIntTensor(readNpy(path), path);
  if (t.shape.length !== 1 || t.shape[0] !== batch) throw new UsageError(`${path}: targets must have shape [${batch}], found ${formatShape(t.shape)}`);
  for (let i = 0; i < t.data.length; i++) {
    if (t.data[i] < 0 || t.data[i] >= numClasses) throw new UsageError(`${path}: target ${t.data[i]} at index ${i} is out of range for ${numClasses} classes`);
  }
  return t;
}
