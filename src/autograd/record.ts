/**
 * Recording the graph: grad mode (`noGrad`, `isGradEnabled`) and `record`, which every op calls
 * to attach a `GraphNode` to its output when an input requires grad. The ops import this module
 * and nothing else of autograd; backward and the rules live above them (graph.ts).
 */
import type { GraphNode, Tensor } from '../tensor/tensor';
import type { OpAttrs, OpName } from './op-attrs';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the graph (evaluation, optimizer steps, backward itself). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Attaches a graph node to `output` when any input needs a gradient; returns `output`. */
export function record<K extends OpName>(op: K, inputs: Tensor[], output: Tensor, attrs: OpAttrs[K]): Tensor {
  if (!gradEnabled) return output;
  let needed = false;
  for (const t of inputs) if (t.requiresGrad) needed = true;
  if (!needed) return output;
  output.requiresGrad = true;
  const node: GraphNode<K> = { op, inputs, output, attrs };
  output.node = node as unknown as GraphNode;
  return output;
}
