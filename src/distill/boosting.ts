/**
 * Knowledge boosting (paper Sec. 4.2, Algorithm 1; docs/paper-map.md, "Knowledge boosting's
 * schedule"): the assistant teachers join one after another, in the given order (increasing
 * accuracy and KC), each for an equal share of the epochs, while the strong teacher stays
 * throughout.
 *
 * The script picks the assistant of epoch e by comparing e / (epochs / n) with 1, 2, 3 (n the
 * number of assistants), i.e. assistant floor(e / (epochs / n)), computed in doubles exactly as
 * here. The script writes the comparisons out for up to three assistants and uses the last one
 * beyond; this generalizes the equal shares to any n. (Algorithm 1's `i % (N/n) = 0` test would
 * advance at epoch 0; the script is what the results come from.)
 */

/** The index of the assistant that teaches during `epoch` (0-based) of an `epochs`-long run. */
export function assistantIndex(epoch: number, epochs: number, assistants: number): number {
  if (!Number.isInteger(assistants) || assistants < 1) throw new Error(`assistantIndex: needs at least one assistant, got ${assistants}`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`assistantIndex: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`assistantIndex: epoch must be a non-negative integer, got ${epoch}`);
  return Math.min(Math.floor(epoch / (epochs / assistants)), assistants - 1);
}

/** The teachers of a run: an optional strong teacher and the assistant group, in order. */
export interface TeacherPlan<T> {
  strong: T | null;
  assistants: readonly T[];
}

/**
 * The teachers active during `epoch`, in the order the ensemble takes them: [assistant, strong],
 * or the one that exists, or none (plain cross-entropy training).
 */
export function teachersForEpoch<T>(plan: TeacherPlan<T>, epoch: number, epochs: number): T[] {
  const active: T[] = [];
  if (plan.assistants.length > 0) active.push(plan.assistants[assistantIndex(epoch, epochs, plan.assistants.length)]);
  if (plan.strong !== null) active.push(plan.strong);
  return active;
}
