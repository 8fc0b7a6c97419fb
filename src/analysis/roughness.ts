/**
 * Numbers for "how rough is this loss surface" (docs/landscapes.md), so landscapes can be compared
 * beyond the eye (the paper's Fig. 2 is judged by eye: rugged, unstructured contours for a binary
 * network, smooth ones for the full-precision one):
 *
 *   - the mean absolute first difference between neighbouring grid points, along x and y;
 *   - the mean absolute second difference |L[i-1] - 2 L[i] + L[i+1]| at interior points, along x
 *     and y: a smooth surface sampled at step h has second differences of order h² against first
 *     differences of order h, a rugged one of the same order as its first differences;
 *   - their ratio (second / first), which does not depend on the loss's scale: 0 on a plane, about
 *     h·curvature/slope on a smooth surface, about 1.7 (√3) on independent noise;
 *   - the number of strict local minima: interior points lower than all eight neighbours (a single
 *     bowl has one).
 */

export interface Roughness {
  meanAbsFirstDifference: number;
  meanAbsSecondDifference: number;
  /** meanAbsSecondDifference / meanAbsFirstDifference (NaN on a constant surface). */
  secondToFirst: number;
  localMinima: number;
  /** Grid points whose loss is not a finite number (they are left out of the measures). */
  nonFinite: number;
}

/** The measures of a [rows, cols] row-major grid (at least 3x3). */
export function roughness(values: ArrayLike<number>, rows: number, cols: number): Roughness {
  if (rows < 3 || cols < 3 || values.length !== rows * cols) throw new Error(`roughness: needs a grid of at least 3x3 values, got ${values.length} values for ${rows}x${cols}`);
  const at = (r: number, c: number): number => values[r * cols + c];
  let first = 0;
  let firstCount = 0;
  let second = 0;
  let secondCount = 0;
  const addFirst = (u: number, v: number): void => {
    const d = Math.abs(v - u);
    if (Number.isFinite(d)) {
      first += d;
      firstCount++;
    }
  };
  const addSecond = (u: number, v: number, w: number): void => {
    const d = Math.abs(u - 2 * v + w);
    if (Number.isFinite(d)) {
      second += d;
      secondCount++;
    }
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (c + 1 < cols) addFirst(at(r, c), at(r, c + 1));
      if (r + 1 < rows) addFirst(at(r, c), at(r + 1, c));
      if (c > 0 && c + 1 < cols) addSecond(at(r, c - 1), at(r, c), at(r, c + 1));
      if (r > 0 && r + 1 < rows) addSecond(at(r - 1, c), at(r, c), at(r + 1, c));
    }
  }
  let localMinima = 0;
  for (let r = 1; r + 1 < rows; r++) {
    for (let c = 1; c + 1 < cols; c++) {
      const v = at(r, c);
      if (!Number.isFinite(v)) continue;
      let lowest = true;
      for (let dr = -1; dr <= 1 && lowest; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          if ((dr !== 0 || dc !== 0) && !(v < at(r + dr, c + dc))) {
            lowest = false;
            break;
          }
        }
      }
      if (lowest) localMinima++;
    }
  }
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) nonFinite++;
  const meanAbsFirstDifference = firstCount > 0 ? first / firstCount : NaN;
  const meanAbsSecondDifference = secondCount > 0 ? second / secondCount : NaN;
  return {
    meanAbsFirstDifference,
    meanAbsSecondDifference,
    secondToFirst: meanAbsFirstDifference > 0 ? meanAbsSecondDifference / meanAbsFirstDifference : NaN,
    localMinima,
    nonFinite,
  };
}
