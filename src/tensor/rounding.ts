/**
 * Rounding to an integer with ties to the even neighbour: torch.round, numpy's round and Python
 * 3's round on a float all round this way (docs/conventions.md, "Rounding"), where JavaScript's
 * Math.round sends ties up. Used where bnext must land on the same integer as the official
 * code: the codes of post-training quantization (paper Eq. 5 and 6) and the crop offsets and
 * sizes of torchvision's transforms.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
