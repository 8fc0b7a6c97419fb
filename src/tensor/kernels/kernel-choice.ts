/**
 * Which implementation of the compute kernels runs (docs/conventions.md, "Reference kernels"):
 *
 * - `fast` (the default): the blocked GEMM, Winograd and im2col convolutions, the unrolled
 *   XNOR-popcount kernel with its border correction, the 8-pixels-a-step packing;
 * - `reference`: the plain loops beside them (the `reference/` folders of tensor/kernels and
 *   binary), each written straight from the definition of what it computes.
 *
 * Both give the same bits for packing and for the XNOR convolution, and agree within the
 * tolerance docs/conventions.md states for float convolutions and GEMM, so every golden test
 * passes on either. The choice is process-wide and checked once per kernel call, outside every
 * loop. The core never reads the environment: a Node program sets it from BNEXT_KERNELS
 * (cli/kernel-environment.ts); a worker thread gets its parent's choice with its start data.
 */

import { ScopedSetting } from '../scoped-setting';

export type KernelChoice = 'fast' | 'reference';

export const KERNEL_CHOICES: readonly KernelChoice[] = ['fast', 'reference'];

const current = new ScopedSetting<KernelChoice>('fast');

/** Whether `value` names a kernel set. */
export function isKernelChoice(value: unknown): value is KernelChoice {
  return value === 'fast' || value === 'reference';
}

function checked(choice: unknown, op: string): KernelChoice {
  if (!isKernelChoice(choice)) throw new Error(`${op}: '${String(choice)}' is not a kernel set; use ${KERNEL_CHOICES.map((c) => `'${c}'`).join(' or ')}`);
  return choice;
}

/** Selects the kernels every later call runs on. */
export function setKernels(choice: KernelChoice): void {
  current.value = checked(choice, 'setKernels');
}

/** The kernels calls run on now. */
export function kernelChoice(): KernelChoice {
  return current.value;
}

/** Whether the kernels dispatch to their references (read by each fast kernel's entry point). */
export function usingReferenceKernels(): boolean {
  return current.value === 'reference';
}

/** Runs `fn` on the given kernels, then restores the previous choice. */
export function withKernels<T>(choice: KernelChoice, fn: () => T): T {
  return current.during(checked(choice, 'withKernels'), fn);
}

/**
 * The kernel set a text names (an environment variable's value): undefined or empty means
 * `fast`; anything else but the two names is refused, naming where it came from.
 */
export function parseKernelChoice(text: string | undefined, source: string): KernelChoice {
  if (text === undefined || text === '') return 'fast';
  return checked(text, source);
}
