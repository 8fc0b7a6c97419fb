/**
 * Exact decoding of the two 16-bit float formats found in PyTorch checkpoints.
 *
 * - IEEE 754 binary16 (safetensors `F16`, numpy `<f2`): 1 sign, 5 exponent, 10 mantissa bits.
 *   Every binary16 value (subnormals, infinities, NaN, -0) is exactly representable as a float32.
 * - bfloat16 (safetensors `BF16`): the top 16 bits of a float32, so decoding is a shift.
 */

/** Float32 value of every binary16 bit pattern, built on first use (256 KB). */
let f16Table: Float32Array | null = null;

function decodeF16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero or subnormal
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function f16ToFloat32Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) f16Table[bits] = decodeF16Bits(bits);
  }
  return f16Table;
}

/** Decodes binary16 bit patterns into float32 values. */
export function decodeF16(bits: Uint16Array): Float32Array {
  const table = f16ToFloat32Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Decodes bfloat16 bit patterns into float32 values (each one is the high half of a float32). */
export function decodeBF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}
