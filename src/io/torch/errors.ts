/**
 * The errors of the PyTorch checkpoint reader (docs/torch-checkpoints.md). Every message starts
 * with the file's name, so a user handing bnext several files knows which one is wrong.
 */

/** A file that is not a readable `torch.save` file: truncated, corrupt, or of an unsupported kind. */
export class TorchFileError extends Error {
  constructor(
    /** The file (or other source name) the reader was given. */
    readonly source: string,
    /** What is wrong, without the source prefix. */
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = 'TorchFileError';
  }
}

/** What the restricted unpickler refused: an import, an opcode, or a call or update of an object. */
export type RefusedKind = 'global' | 'opcode' | 'call';

/**
 * A pickle that asks for something outside the allow-list (docs/torch-checkpoints.md, "What the
 * reader refuses"), as PyTorch's `torch.load(..., weights_only=True)` refuses it. The
 * refused thing as pickle spells it, e.g. `posix.system` or the opcode `INST (0x69)`, is `refused`.
 */
export class UnsafePickleError extends TorchFileError {
  constructor(
    source: string,
    readonly kind: RefusedKind,
    /** The refused global, opcode or callee as pickle spells it. */
    readonly refused: string,
    detail: string,
  ) {
    super(source, detail);
    this.name = 'UnsafePickleError';
  }
}
