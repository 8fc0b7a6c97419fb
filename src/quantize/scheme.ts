/**
 * Which bit widths the quantized layers get, in the paper's notation (Table 1 column "Q",
 * Table 7 "I-S-E-O (W/A)"): weight/activation bits of the Input layer (the stem convolution),
 * the Squeeze and the Expand convolution of every squeeze-and-expand branch, and the Output
 * layer (the classifier), e.g. `8/8-4/8-4/8-8/8`. Table 1's three-part `8/8-4/8-8/8` gives the
 * SE branch as one pair; it is Table 7's `8/8-4/8-4/8-8/8`.
 *
 *   paper  8/8-4/8-4/8-8/8   the released BNext models' setting (Table 1; Table 7's third row)
 *   w8     8/8-8/8-8/8-8/8   every one of those layers at 8 bits (Table 7's second row)
 *   none   no quantization (the default of `bnext pack`)
 *
 * Weights take 4 or 8 bits (what a .bnx file stores), or 32 with activation 32: the layer stays
 * float32. Activations take 2 to 8 bits, or 32 for none. The input layer's "8" is the 8-bit image
 * itself: the official code applies no quantizer to a 3-channel input at 8 bits, nor do we (at
 * 8 or 32 for the input layer, the stem's input is left as it is; other values are refused).
 * For a model with another number of input channels (the 1-channel digits student) the official
 * layer would quantize the image per (sample, channel); we leave it as it is there too.
 */

/** A layer's weight bits and activation bits (null: float, not quantized). */
export interface BitWidths {
  weight: number;
  activation: number | null;
}

/**
 * Which layers are quantized at which widths (the Input, Squeeze, Expand and Output layers;
 * null: left float32).
 */
export interface QuantizationScheme {
  /** How it was asked for: a preset name or the I-S-E-O list. */
  name: string;
  input: BitWidths | null;
  squeeze: BitWidths | null;
  expand: BitWidths | null;
  output: BitWidths | null;
}

/** The named schemes: 'paper' (the released models', Table 1) and 'w8' (Table 7). */
export const PRESETS: Readonly<Record<string, string>> = { paper: '8/8-4/8-4/8-8/8', w8: '8/8-8/8-8/8-8/8' };

const ROLES = ['input', 'squeeze', 'expand', 'output'] as const;

const usage = (value: string, problem: string): Error =>
  new Error(`--quantize must be none, ${Object.keys(PRESETS).join(', ')} or four weight/activation bit pairs for the input layer, squeeze, expand and output layer such as 8/8-4/8-4/8-8/8 (paper Table 7); '${value}' ${problem}`);

/** The scheme a `--quantize` value names; null for `none`. */
export function parseQuantization(value: string): QuantizationScheme | null {
  if (value === 'none') return null;
  const list = PRESETS[value] ?? value;
  const pairs = list.split('-');
  if (pairs.length !== 4) throw usage(value, `has ${pairs.length} part${pairs.length === 1 ? '' : 's'}`);
  const widths = pairs.map((pair, i): BitWidths | null => {
    const role = ROLES[i];
    const m = /^(\d+)\/(\d+)$/.exec(pair);
    if (!m) throw usage(value, `has '${pair}' for the ${role} layer, not W/A`);
    const [w, a] = [Number(m[1]), Number(m[2])];
    if (w === 32) {
      if (a !== 32) throw usage(value, `has '${pair}' for the ${role} layer: float32 weights (32) go with float activations (32)`);
      return null;
    }
    if (w !== 4 && w !== 8) throw usage(value, `has ${w}-bit weights for the ${role} layer: weights take 4, 8 or 32 bits`);
    if (role === 'input') {
      if (a !== 8 && a !== 32) throw usage(value, `has ${a}-bit activations for the input layer: its input is the image (8 or 32, neither quantized)`);
      return { weight: w, activation: null };
    }
    if (a !== 32 && (a < 2 || a > 8)) throw usage(value, `has ${a}-bit activations for the ${role} layer: activations take 2 to 8 or 32 bits`);
    return { weight: w, activation: a === 32 ? null : a };
  });
  return { name: value, input: widths[0], squeeze: widths[1], expand: widths[2], output: widths[3] };
}

/**
 * A scheme given to the API as a scheme object or as a `--quantize` value ('paper', 'w8',
 * 'none', an I-S-E-O list); null for none. Errors start with `what` (the argument's name).
 */
export function quantizationOption(value: QuantizationScheme | string | null | undefined, what: string): QuantizationScheme | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    if (typeof value === 'object' && typeof value.name === 'string') return value;
    throw new Error(`${what} must be a quantization scheme or its name ('none', ${Object.keys(PRESETS).map((p) => `'${p}'`).join(', ')} or a list such as '8/8-4/8-4/8-8/8'), got ${typeof value}`);
  }
  try {
    return parseQuantization(value);
  } catch (e) {
    throw new Error(`${what}${(e as Error).message.replace(/^--quantize/, '')}`, { cause: e });
  }
}
