/**
 * The shape of a backward rule, and of the registry that holds one per op (gradients/index.ts).
 */
import type { GraphNode, Tensor } from '../tensor/tensor';
import type { OpName } from './op-attrs';

/**
 * Gradient of each input (null where none flows) from the upstream gradient `dy`. A rule returns
 * new arrays, or `dy`'s storage itself (dy, or a tensor on its array) where the gradient passes
 * through, and keeps no reference to either: backward adds later contributions into the new
 * arrays in place and recycles dead ones (graph.ts: isFresh, buffer-pool.ts).
 */
export type GradientRule<K extends OpName> = (dy: Tensor, node: GraphNode<K>) => (Tensor | null)[];

export type GradientRegistry = { [K in OpName]: GradientRule<K> };
