/**
 * Teachers for knowledge distillation (paper Sec. 4; docs/paper-map.md, "Sec. 4.2"). A teacher
 * gives constant logits [N, C] for a batch, either
 *
 *   - by running a model of ours in evaluation mode without recording a graph (`ModuleTeacher`;
 *     the script likewise runs its teachers in eval mode under no_grad), or
 *   - by reading them from a file of precomputed logits, one row per training sample, so that
 *     teachers trained elsewhere (EfficientNet, ConvNeXt in PyTorch) can be used
 *     (`LogitsFileTeacher`; a float .npy of shape [numSamples, numClasses], float16 allowed, as
 *     the script's teachers run under autocast). Rows are looked up by each sample's index in the
 *     training set, so such logits fit the un-augmented images they were computed on.
 *
 * A logits file is checked against the data and the student when it is loaded, so a wrong file
 * fails before training starts, with an error naming the file and both numbers.
 */
import { parseNpy } from '../io/npy';
import { toTensor } from '../io/stored';
import { Tensor } from '../tensor/tensor';
import { formatShape } from '../tensor/shape';
import { noGrad } from '../autograd/record';
import type { Module } from '../nn/module';

/** What a teacher sees of a batch: the images, and each sample's row in the training set. */
export interface TeacherBatch {
  images: Tensor;
  indices: Int32Array;
}

/** A teacher for distillation: constant logits for a batch. */
export interface Teacher {
  readonly name: string;
  readonly numClasses: number;
  /** Constant logits [N, numClasses] of the batch (no gradient flows into the teacher). */
  logits(batch: TeacherBatch): Tensor;
}

/** A model of ours as a teacher: evaluation mode, no graph. */
export class ModuleTeacher implements Teacher {
  constructor(readonly name: string, readonly model: Module, readonly numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`teacher ${name}: class count must be a positive integer, got ${numClasses}`);
  }

  logits(batch: TeacherBatch): Tensor {
    // Set every time: the trainer may switch modules to training mode between batches.
    this.model.eval();
    const out = noGrad(() => this.model.call(batch.images));
    const n = batch.images.shape[0];
    if (out.ndim !== 2 || out.shape[0] !== n || out.shape[1] !== this.numClasses) {
      throw new Error(`teacher ${this.name}: output shape ${formatShape(out.shape)}, expected [${n}, ${this.numClasses}]`);
    }
    return out.detach();
  }
}

/** What a logits file must match. */
export interface LogitsExpectation {
  /** The number of training samples (rows). */
  numSamples: number;
  /** The student's class count (columns). */
  numClasses: number;
}

/** Precomputed logits, one row per training sample. */
export class LogitsFileTeacher implements Teacher {
  readonly numClasses: number;
  readonly numSamples: number;

  /**
   * `table` holds the logits, [numSamples, numClasses]; `source` names it in errors. Use
   * `fromNpy` (or teacher-file.ts for a file), which also checks it against the data and the
   * student.
   */
  constructor(readonly name: string, readonly table: Tensor, readonly source: string) {
    if (table.ndim !== 2) throw new Error(`${source}: teacher logits must be 2-D [samples, classes], found shape ${formatShape(table.shape)}`);
    [this.numSamples, this.numClasses] = table.shape;
    const d = table.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        throw new Error(`${source}: teacher logit at row ${Math.floor(i / this.numClasses)}, class ${i % this.numClasses} is ${d[i]}`);
      }
    }
  }

  /**
   * Parses .npy bytes of logits (teacher-file.ts reads the file) and checks the row count
   * against the data and the class count against the student; `source` names them in errors.
   */
  static fromNpy(bytes: Uint8Array, expected: LogitsExpectation, source: string, name = source): LogitsFileTeacher {
    const teacher = new LogitsFileTeacher(name, toTensor(parseNpy(bytes, source), source), source);
    teacher.check(expected);
    return teacher;
  }

  /** Throws unless the table has one row per training sample and the student's class count. */
  check(expected: LogitsExpectation): void {
    const shape = `shape ${formatShape(this.table.shape)}, expected [${expected.numSamples}, ${expected.numClasses}]`;
    if (this.numSamples !== expected.numSamples) {
      throw new Error(`${this.source}: teacher logits have ${this.numSamples} rows but the training data has ${expected.numSamples} samples (${shape})`);
    }
    if (this.numClasses !== expected.numClasses) {
      throw new Error(`${this.source}: teacher logits have ${this.numClasses} classes but the student has ${expected.numClasses} (${shape})`);
    }
  }

  logits(batch: TeacherBatch): Tensor {
    const c = this.numClasses;
    const n = batch.indices.length;
    if (batch.images.shape[0] !== n) throw new Error(`teacher ${this.name}: batch has ${batch.images.shape[0]} images but ${n} sample indices`);
    const out = new Float32Array(n * c);
    for (let b = 0; b < n; b++) {
      const row = batch.indices[b];
      if (row < 0 || row >= this.numSamples) throw new Error(`${this.source}: sample index ${row} is outside the ${this.numSamples} rows of the teacher logits`);
      out.set(this.table.data.subarray(row * c, row * c + c), b * c);
    }
    return new Tensor(out, [n, c]);
  }
}
