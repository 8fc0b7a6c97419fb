/**
 * What a Node program takes from its environment, read once when it starts (the CLI, a worker
 * thread, the specs' setup); the core never reads `process` itself.
 *
 * BNEXT_KERNELS = `reference` runs the whole library on the reference kernels, `fast` (or unset)
 * on the fast ones (tensor/kernels/kernel-choice.ts; docs/conventions.md, "Reference kernels").
 * Any other value is refused by name.
 */
import { type KernelChoice, kernelChoice, parseKernelChoice, setKernels } from '../tensor/kernels/kernel-choice';

export const KERNELS_VARIABLE = 'BNEXT_KERNELS';

/** Sets the kernels from BNEXT_KERNELS and returns the choice. */
export function kernelsFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): KernelChoice {
  const choice = parseKernelChoice(env[KERNELS_VARIABLE], KERNELS_VARIABLE);
  setKernels(choice);
  return choice;
}

/** An environment for a child (process or worker thread) that runs on this process's kernels. */
export function environmentWithKernels(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  out[KERNELS_VARIABLE] = kernelChoice();
  return out;
}
