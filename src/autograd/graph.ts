/**
 * Dynamic reverse-mode autograd in PyTorch's manner: `backward` walks the graph the ops recorded
 * (record.ts) in reverse topological order, applies each op's rule from the registry and
 * accumulates into the `.grad` of leaves (across calls, as PyTorch does, until the caller zeroes
 * them).
 *
 * How the rules reach backward, without an import cycle: the ops import only record.ts, which
 * knows no rule; the rules (gradients/*.ts) compute with the ops; the registry
 * (gradients/index.ts) assembles one rule per op name, typed so that an op without a rule does
 * not compile; and this module, the one that runs backward, imports the registry. Whoever can
 * call backward therefore imports this module, by name: `backward` itself, or src/index.ts.
 * `Tensor.backward()` cannot import it (tensor.ts sits below the ops), so this module hands it
 * `backward` when it loads (`setBackwardImpl`, last line); the method throws a clear error if
 * called where this module was never imported. spec/architecture/imports.spec.ts checks that
 * every file calling `.backward(` reaches this module through its imports.
 */
import { setBackwardImpl, Tensor } from '../tensor/tensor';
import { formatShape, shapesEqual } from '../tensor/shape';
import type { OpName } from './op-attrs';
import type { GradientRule } from './gradient-rule';
import { gradients } from './gradients/index';
import { noGrad } from './record';
import { releaseArray, uninitializedArray } from './buffer-pool';

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
 * Adds gradient g of tensor t into `into`. `owned` holds the gradients whose storage is ours to
 * change: `fresh` says g is one (see backward). The sum goes into whichever of the two is owned,
 * in place; only when neither is does it take a new array, which is then owned. Addition is
 * commutative in floating point, so where the sum lands does not change its bits.
 */
function accumulate(into: Map<Tensor, Tensor>, owned: Set<Tensor>, t: Tensor, g: Tensor, fresh: boolean): void {
  const prev = into.get(t);
  if (!prev) {
    into.set(t, g);
    if (fresh) owned.add(g);
    return;
  }
  if (owned.has(prev)) {
    addInto(prev, g);
    return;
  }
  if (fresh) {
    addInto(g, prev);
    owned.add(g);
    into.set(t, g);
    return;
  }
  const sum = uninitializedArray(g.size);
  const a = prev.data;
  const b = g.data;
  for (let i = 0; i < sum.length; i++) sum[i] = a[i] + b[i];
  const total = new Tensor(sum, t.shape);
  owned.add(total);
  into.set(t, total);
}

/**
 * Whether input k's gradient from a rule is ours to change. Rules return new arrays, except that
 * they may pass the incoming gradient g through (add, reshape, the straight-through weight) or
 * hand one array to several inputs: such an array is ours only if g was and no other input
 * shares it.
 */
function isFresh(inputGrads: (Tensor | null)[], k: number, g: Tensor, gOwned: boolean): boolean {
  // Storage is compared by buffer, so that a view into another array counts as that array.
  const buffer = inputGrads[k]!.data.buffer;
  if (buffer === g.data.buffer && !gOwned) return false;
  for (let j = 0; j < inputGrads.length; j++) if (j !== k && inputGrads[j]?.data.buffer === buffer) return false;
  return true;
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
      // Once handed to a rule, g may come back as another tensor's gradient (see isFresh).
      const gOwned = owned.delete(g);
      if (!t.node || t.retainsGrad) {
        // A leaf's own gradient array can become its .grad; a retained one still goes to the rule.
        if (t.grad) addInto(t.grad, g);
        else t.grad = new Tensor(gOwned && !t.node ? g.data : g.data.slice(), t.shape);
      }
      if (!t.node) continue;
      const node = t.node;
      const rule = gradients[node.op] as GradientRule<OpName>;
      const inputGrads = rule(g, node);
      let passedOn = false;
      for (let k = 0; k < node.inputs.length; k++) {
        const input = node.inputs[k];
        const ig = inputGrads[k];
        if (!ig) continue;
        if (ig.data.buffer === g.data.buffer) passedOn = true;
        if (!input.requiresGrad) continue;
        if (!shapesEqual(ig.shape, input.shape)) {
          throw new Error(`backward: rule for ${node.op} gave input ${k} a gradient of shape ${formatShape(ig.shape)}, expected ${formatShape(input.shape)}`);
        }
        accumulate(grads, owned, input, ig, isFresh(inputGrads, k, g, gOwned));
      }
      // An owned gradient the rule has consumed, and not passed on, is dead: recycle its array.
      if (gOwned && !passedOn && !t.retainsGrad) releaseArray(g.data);
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
