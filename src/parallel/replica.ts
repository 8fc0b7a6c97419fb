/**
 * One data-parallel replica (a worker thread's whole job): a copy of the student and of the
 * teachers, which for each step loads the weights and buffers it is sent, runs forward, loss and
 * backward on its shard exactly as the single-thread trainer runs them on a whole batch
 * (train/trainer.ts), and returns the shard's gradients, loss and logits. BatchNorm therefore
 * normalizes with the shard's statistics and the distillation loss averages over the shard, as
 * under PyTorch's DistributedDataParallel.
 * For the held-out evaluation it also runs the student in evaluation mode on a batch it is sent.
 */
import { backward } from '../autograd/graph';
import { noGrad } from '../autograd/record';
import { Tensor } from '../tensor/tensor';
import { IntTensor } from '../tensor/int-tensor';
import type { Module } from '../nn/module';
import { withoutInit } from '../nn/init';
import { buildAnyModel } from '../models/zoo';
import { studentLoss } from '../distill/student-loss';
import type { Teacher } from '../distill/teacher';
import { FlatState } from './flat-state';
import type { LogitsReply, PredictRequest, StepReply, StepRequest, WorkerInit } from './protocol';
import { teacherFromSpec } from './replica-spec';

export class Replica {
  readonly student: Module;
  readonly teachers: Teacher[];
  private readonly state: FlatState;

  constructor(readonly init: WorkerInit) {
    this.student = withoutInit(() => buildAnyModel(init.student));
    this.state = new FlatState(this.student);
    const mine = this.state.signature();
    const theirs = init.signature;
    for (let k = 0; k < Math.max(mine.length, theirs.length); k++) {
      if (mine[k] !== theirs[k]) {
        throw new Error(`replica ${init.rank}: the student built from its configuration differs from the main thread's at entry ${k}: '${mine[k] ?? 'nothing'}' here, '${theirs[k] ?? 'nothing'}' there`);
      }
    }
    this.teachers = init.teachers.map(teacherFromSpec);
  }

  step(r: StepRequest): StepReply {
    this.state.loadParameters(r.params);
    this.state.loadBuffers({ floats: r.floatBuffers, ints: r.intBuffers });
    const n = r.y.length;
    const x = new Tensor(r.x, r.xShape);
    const y = new IntTensor(r.y, [n]);
    if (x.shape[0] !== n || r.indices.length !== n) throw new Error(`replica ${this.init.rank}: shard of ${x.shape[0]} images, ${n} labels and ${r.indices.length} indices`);
    const teachers = r.teachers.map((k) => {
      const t = this.teachers[k];
      if (!t) throw new Error(`replica ${this.init.rank}: no teacher number ${k} (it has ${this.teachers.length})`);
      return t;
    });
    this.student.train();
    for (const s of this.state.params) s.tensor.grad = null;
    const logits = this.student.call(x);
    const loss = studentLoss(logits, y, teachers.map((t) => t.logits({ images: x, indices: r.indices })), r.form);
    backward(loss);
    const { grads, present } = this.state.packGradients();
    const buffers = r.returnState ? this.state.packBuffers() : null;
    return {
      kind: 'done', id: r.id, grads, present, loss: loss.item(),
      logits: logits.data.slice(), logitsShape: [...logits.shape],
      params: r.returnState ? this.state.packParameters() : null,
      floatBuffers: buffers ? buffers.floats : null, intBuffers: buffers ? buffers.ints : null,
    };
  }

  /** The student's logits for a batch in evaluation mode (running statistics, no graph). */
  predict(r: PredictRequest): LogitsReply {
    this.state.loadParameters(r.params);
    this.state.loadBuffers({ floats: r.floatBuffers, ints: r.intBuffers });
    this.student.eval();
    const logits = noGrad(() => this.student.call(new Tensor(r.x, r.xShape)));
    return { kind: 'logits', id: r.id, logits: logits.data.slice(), logitsShape: [...logits.shape] };
  }
}
