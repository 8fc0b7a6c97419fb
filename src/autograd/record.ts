/**
 * Recording the graph: grad mode (`noGrad`, `isGradEnabled`) and `record`, which every op calls
 * to attach a `GraphNode` to its output when an input requires grad. The ops import this module
 * and nothing else of autograd; backward and the rules live above them (graph.ts).
 */
import type { GraphNode, Tensor } from '../tensor/tensor';
import type { OpAttrs, OpName } from './op-attrs';
import { ScopedSetting } from '../tensor/scoped-setting';

const gradMode = new ScopedSetting(true);

/** Whether ops record the graph (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradMode.value;
}

/** Runs `fn` without recording the graph (evaluation, optimizer steps, backward itself). */
export function noGrad<T>(fn: () => T): T {
  return gradMode.during(false, fn);
}

/** Attaches a graph node to `output` when any input needs a gradient; returns `output`. */
export function record<K extends OpName>(op: K, inputs: Tensor[], output: Tensor, attrs: OpAttrs[K]): Tensor {
  if (!gradMode.value) return output;
  let needed = false;
  for (const t of inputs) if (t.requiresGrad) needed = true;
  if (!needed) return output;
  output.requiresGrad = true;
  const node: GraphNode<K> = { op, inputs, output, attrs };
  output.node = node as unknown as GraphNode;
  return output;
}
