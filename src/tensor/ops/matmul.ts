/** Batched matrix multiply with broadcasting of the batch dimensions, as torch.matmul for rank >= 2. */
import { record } from '../../autograd/record';
import { broadcastIndex, broadcastShapes, formatShape, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { sgemm } from '../kernels/gemm';

/**
 * op(a) @ op(b) without recording the graph, where op transposes the last two dims when asked.
 * The batch dimensions broadcast.
 */
export function matmulRaw(a: Tensor, b: Tensor, transA = false, transB = false, opName = 'matmul'): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new Error(`${opName}: both operands need rank >= 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)} (reshape vectors to [1, K] or [K, 1])`);
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) {
    throw new Error(`${opName}: inner dimensions differ: ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''} (${K} vs ${Kb})`);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch, opName);
  const count = sizeOf(batch);
  const ia = broadcastIndex(aBatch, batch);
  const ib = broadcastIndex(bBatch, batch);
  const out = new Float32Array(count * M * N);
  for (let i = 0; i < count; i++) {
    sgemm(
      M, N, K,
      { data: a.data, offset: ia[i] * ar * ac, ld: ac, trans: transA },
      { data: b.data, offset: ib[i] * br * bc, ld: bc, trans: transB },
      out, i * M * N, N, false,
    );
  }
  return new Tensor(out, [...batch, M, N]);
}

/** a @ b over the last two dimensions, batch dimensions broadcasting. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return record('MatMul', [a, b], matmulRaw(a, b), {});
}
