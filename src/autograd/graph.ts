/**
 * Dynamic reverse-mode autograd in PyTorch's manner. Every op that has an input requiring grad
 * records a `GraphNode` on its output while grad mode is on; `backward` walks the recorded graph
 * in reverse topological order, applies each op's rule from the registry and accumulates into
 * the `.grad` of leaves (across calls, as PyTorch does, until the caller zeroes them).
 */
import { setBackwardImpl, Tensor } from '../tensor/tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import type { GraphNode, OpAttrs, OpName } from './node';
import { gradients } from './gradients/index';
import type { GradientRule } from './node';

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

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative depth-first search: deep networks would overflow a recursive one.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].node ? top[0].node.inputs : [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/**
 * Adds gradient g of tensor t into `into`. The first contribution is stored as given (rules may
 * hand the same tensor to several inputs, so it is not ours to change); the second allocates the
 * sum, which is recorded in `owned` so that any further contributions add into it in place.
 */
function accumulate(into: Map<Tensor, Tensor>, owned: Set<Tensor>, t: Tensor, g: Tensor): void {
  const prev = into.get(t);
  if (!prev) {
    into.set(t, g);
    return;
  }
  const b = g.data;
  if (owned.has(prev)) {
    const a = prev.data;
    for (let i = 0; i < a.length; i++) a[i] += b[i];
    return;
  }
  const sum = new Float32Array(g.size);
  const a = prev.data;
  for (let i = 0; i < sum.length; i++) sum[i] = a[i] + b[i];
  const total = new Tensor(sum, t.shape);
  owned.add(total);
  into.set(t, total);
}

/**
 * Back-propagates from `root`. Without `gradient`, `root` must hold one element (a loss) and the
 * seed gradient is 1. Gradients add into the `.grad` of every leaf that requires them.
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward: tensor does not require grad (no input of its graph has requiresGrad)');
  let seed: Tensor;
  if (gradient) {
    if (!shapesEqual(gradient.shape, root.shape)) {
      throw new Error(`backward: gradient shape ${formatShape(gradient.shape)} does not match tensor shape ${formatShape(root.shape)}`);
    }
    seed = gradient;
  } else {
    if (root.size !== 1) throw new Error(`backward: implicit gradient needs a one-element tensor, got shape ${formatShape(root.shape)}; pass a gradient`);
    seed = new Tensor(new Float32Array([1]), root.shape);
  }
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const owned = new Set<Tensor>();
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      // Once handed to a rule, g may come back as another tensor's gradient: no longer ours.
      owned.delete(g);
      if (!t.node || t.retainsGrad) {
        t.grad = t.grad ? addInto(t.grad, g) : new Tensor(g.data.slice(), t.shape);
      }
      if (!t.node) continue;
      const node = t.node;
      const rule = gradients[node.op] as GradientRule<OpName>;
      const inputGrads = rule(g, node);
      for (let k = 0; k < node.inputs.length; k++) {
        const input = node.inputs[k];
        const ig = inputGrads[k];
        if (!input.requiresGrad || !ig) continue;
        if (!shapesEqual(ig.shape, input.shape)) {
          throw new Error(`backward: rule for ${node.op} gave input ${k} a gradient of shape ${formatShape(ig.shape)}, expected ${formatShape(input.shape)}`);
        }
        accumulate(grads, owned, input, ig);
      }
    }
  });
}

function addInto(target: Tensor, g: Tensor): Tensor {
  const d = target.data;
  const s = g.data;
  for (let i = 0; i < d.length; i++) d[i] += s[i];
  return target;
}

setBackwardImpl(backward);
