/**
 * What a Winograd tiling provides to the driver (conv3x3.ts): the transforms of F(m x m, 3x3),
 * Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, each reading or writing its transformed values straight in
 * the GEMM's packed-panel layout. One file per tiling implements it.
 *
 * The tilings' transforms look alike from file to file: each walks images, channels and tiles
 * the same way, with its own tile arithmetic written out inside (the α² values of a tile held in
 * locals). A walk shared by the tilings would call that arithmetic through a function per tile,
 * in the loops that take most of a training step's convolution time; the repeat is the price of
 * speed.
 */

/**
 * The five transforms of one tiling F(m x m, 3x3). Value ξ (0 <= ξ < α², row-major in the α x α
 * tile) of item (i, j) is read or written at ξ·stride + iOffset[i] + jOffset[j].
 */
export interface WinogradTiling {
  readonly name: string;
  /** Outputs per tile side. */
  readonly m: number;
  /** Side of a transformed tile. */
  readonly alpha: number;
  /** Input rows (and columns) from one tile to the next: m, or 2m for stride 2. */
  readonly step: number;
  /** Side of the input patch a tile reads. */
  readonly patch: number;
  /**
   * V = Bᵀ d B for every tile of `count` images of `channels` zero-padded planes (ph x pw each,
   * tile (ty, tx) at row step·ty, column step·tx): channel c, tile t (numbered image by image,
   * row-major) at v[ξ·vStride + cOff[c] + tOff[t]].
   */
  inputTransform(
    padded: Float32Array, count: number, channels: number, ph: number, pw: number, tilesH: number, tilesW: number,
    v: Float64Array, vStride: number, cOff: Int32Array, tOff: Int32Array,
  ): void;
  /**
   * dst[n0 + i, r] = Aᵀ M A (+ bias[r]) for every tile, M's value ξ of row r, tile t at
   * m[ξ·mStride + r·ldm + t]; outputs past dstH x dstW are dropped.
   */
  outputTransform(
    m: Float64Array, mStride: number, ldm: number, rows: number, n0: number, count: number, tilesH: number, tilesW: number,
    dstH: number, dstW: number, bias: Float32Array | null, dst: Float32Array,
  ): void;
  /** dM = A dY Aᵀ for every tile of dY's images n0 .. n0+count-1 (zero past the map), at dm[ξ·dmStride + rOff[r] + tOff[t]]. */
  outputGradientTransform(
    dy: Float32Array, n0: number, count: number, rows: number, outH: number, outW: number, tilesH: number, tilesW: number,
    dm: Float64Array, dmStride: number, rOff: Int32Array, tOff: Int32Array,
  ): void;
  /** U = G g Gᵀ for every filter g = w[co, ci] (rotated by 180 degrees with `flip`), at u[ξ·uStride + coOff[co] + ciOff[ci]]. */
  filterTransform(w: Float32Array, cOut: number, cIn: number, flip: boolean, u: Float64Array, uStride: number, coOff: Int32Array, ciOff: Int32Array): void;
  /** dw[co, ci] = Gᵀ dU G, dU's value ξ of (co, ci) at du[ξ·duStride + co·ldu + ci]. */
  filterGradientTransform(du: Float64Array, duStride: number, ldu: number, cOut: number, cIn: number, dw: Float32Array): void;
}

/** A tiling whose input gradient is taken by the adjoint of its input transform (stride 2). */
export interface StridedWinogradTiling extends WinogradTiling {
  /**
   * Adds B dV Bᵀ of every tile into the zero-padded gradient planes (ph x pw, laid out as
   * inputTransform reads them), dV's value ξ of channel c, tile t at dv[ξ·dvStride + c·ldv + t].
   */
  inputGradientTransform(
    dv: Float64Array, dvStride: number, ldv: number, channels: number, count: number, tilesH: number, tilesW: number,
    padded: Float64Array, ph: number, pw: number,
  ): void;
}
