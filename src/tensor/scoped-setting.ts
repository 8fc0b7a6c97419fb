/**
 * A process-wide setting that a call can change for its own duration: grad mode (noGrad),
 * skipped initialisation (withoutInit), the kernels (withKernels), the float path for binary
 * convolutions (withFloatBinaryConvs). The value is restored when the call returns or throws.
 */
export class ScopedSetting<V> {
  constructor(public value: V) {}

  /** Runs fn with the setting at `value`, then puts back what it was. */
  during<T>(value: V, fn: () => T): T {
    const previous = this.value;
    this.value = value;
    try {
      return fn();
    } finally {
      this.value = previous;
    }
  }
}
