/**
 * What a `torch.save` state_dict or checkpoint may ask the unpickler for (docs/torch-checkpoints.md,
 * "The allow-list"): the ordered dict, the tensor-rebuild functions, `torch.Size` and the typed
 * storage classes, and persistent ids that name storages. This is the set PyTorch's weights-only
 * loader accepts for plain checkpoints, minus what such files never hold (dtypes as objects,
 * sparse and quantized tensors, `collections.Counter`). Everything else is refused by name.
 *
 * Tensors are kept as descriptions (storage, offset, shape, strides) and only checked here: their
 * elements are gathered later, for the tensors the caller wants (tensor-view.ts).
 */
import { DTYPE_SIZE, type StoredDType } from '../stored';
import { TorchFileError, UnsafePickleError } from './errors';
import { PickleDict, PickleHostObject, type PickleHost, PickleTuple, type PickleValue, describeValue, pythonTypeOf } from './pickle';

/** The typed storage classes by name, in `torch` (and `torch.cuda`, where older torch versions saved CUDA tensors' storages). */
const STORAGE_DTYPE: Readonly<Record<string, StoredDType>> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const STORAGE_MODULES = ['torch', 'torch.cuda'];

/** The callables a checkpoint's REDUCE opcodes may call. */
const CALLABLES = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
] as const;
type AllowedCallable = (typeof CALLABLES)[number];

/** Every global the reader accepts, for messages and docs. */
export const ALLOWED_GLOBALS: readonly string[] = [
  ...CALLABLES,
  ...STORAGE_MODULES.flatMap((m) => Object.keys(STORAGE_DTYPE).map((s) => `${m}.${s}`)),
];

/** A storage class named by a GLOBAL, e.g. `torch.HalfStorage`: it fixes the element type. */
export class StorageClass extends PickleHostObject {
  constructor(readonly qualifiedName: string, readonly dtype: StoredDType) {
    super();
  }

  describe(): string {
    return this.qualifiedName;
  }
}

/** An allow-listed function named by a GLOBAL, to be called by REDUCE. */
export class AllowedFunction extends PickleHostObject {
  constructor(readonly qualifiedName: AllowedCallable) {
    super();
  }

  describe(): string {
    return this.qualifiedName;
  }
}

/**
 * A storage: `numel` elements of `dtype`. The zip format has its bytes at once; the legacy format
 * sets them after the pickle, once the storages section is read (`setBytes`).
 */
export class TorchStorage extends PickleHostObject {
  private bytes: Uint8Array | null = null;

  constructor(readonly key: string, readonly dtype: StoredDType, readonly numel: number, readonly location: string) {
    super();
  }

  get byteLength(): number {
    return this.numel * DTYPE_SIZE[this.dtype];
  }

  setBytes(bytes: Uint8Array): void {
    if (bytes.length !== this.byteLength) throw new Error(`storage '${this.key}': ${bytes.length} bytes for ${this.numel} elements of ${this.dtype}`);
    this.bytes = bytes;
  }

  /** The storage's bytes; `source` names the file when they were never read. */
  data(source: string): Uint8Array {
    if (!this.bytes) throw new TorchFileError(source, `storage '${this.key}' has no data in the file`);
    return this.bytes;
  }

  describe(): string {
    return `storage '${this.key}' (${this.numel} x ${this.dtype})`;
  }
}

/** A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TorchTensor extends PickleHostObject {
  constructor(
    readonly storage: TorchStorage,
    /** In elements. */
    readonly offset: number,
    readonly shape: readonly number[],
    /** In elements, one per dimension. */
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {
    super();
  }

  get dtype(): StoredDType {
    return this.storage.dtype;
  }

  describe(): string {
    return `tensor [${this.shape.join(', ')}] of ${this.dtype}`;
  }
}

/** The fields of a storage's persistent id: `('storage', class, key, location, numel[, view])`. */
export interface StorageId {
  storageClass: StorageClass;
  key: string;
  location: string;
  numel: number;
  /** The legacy format's view metadata `(view key, offset, size)`, or null. */
  view: { key: string; offset: number; numel: number } | null;
}

function isCount(v: PickleValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses a persistent id as both formats write it (5 fields in zip files, 6 in legacy ones). */
export function parseStorageId(pid: PickleValue, source: string): StorageId {
  const bad = (problem: string) => new TorchFileError(source, `pickle: persistent id ${problem}`);
  if (!(pid instanceof PickleTuple)) throw bad(`is ${describeValue(pid)}, expected a tuple ('storage', ...)`);
  const [kind, storageClass, key, location, numel, view] = pid.items;
  if (kind !== 'storage') throw bad(`of kind ${JSON.stringify(kind ?? null)} is not a storage (only 'storage' ids are supported)`);
  if (pid.items.length !== 5 && pid.items.length !== 6) throw bad(`has ${pid.items.length} fields, expected 5 or 6`);
  if (!(storageClass instanceof StorageClass)) throw bad(`names ${pythonTypeOf(storageClass ?? null)} where a storage class belongs`);
  if (typeof key !== 'string') throw bad(`has a key of type ${pythonTypeOf(key)}`);
  if (typeof location !== 'string') throw bad(`has a location of type ${pythonTypeOf(location)}`);
  if (!isCount(numel)) throw bad(`has an invalid element count ${String(numel)}`);
  let parsedView: StorageId['view'] = null;
  if (view !== undefined && view !== null) {
    if (!(view instanceof PickleTuple) || view.items.length !== 3) throw bad('has view metadata that is not a (key, offset, size) tuple');
    const [viewKey, offset, size] = view.items;
    if (typeof viewKey !== 'string' || !isCount(offset) || !isCount(size)) throw bad('has invalid view metadata');
    parsedView = { key: viewKey, offset, numel: size };
  }
  return { storageClass, key, location, numel, view: parsedView };
}

/** The element count of `shape`, or null when it is not a safe integer. */
function elementCount(shape: readonly number[]): number | null {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

/** A tuple of non-negative safe integers (a tensor's size or stride). */
function counts(v: PickleValue, what: string, source: string): number[] {
  if (!(v instanceof PickleTuple) || !v.items.every(isCount)) {
    throw new TorchFileError(source, `pickle: tensor ${what} must be a tuple of non-negative integers, found ${pythonTypeOf(v)}`);
  }
  return v.items as number[];
}

/**
 * Checks a rebuilt tensor against its storage without touching data: sizes, strides and offset
 * must address only elements the storage has.
 */
function checkedTensor(storage: PickleValue, offset: PickleValue, size: PickleValue, stride: PickleValue, requiresGrad: PickleValue, source: string): TorchTensor {
  const bad = (problem: string) => new TorchFileError(source, `pickle: tensor ${problem}`);
  if (!(storage instanceof TorchStorage)) throw bad(`rebuilt from ${describeValue(storage)}, not a storage`);
  if (!isCount(offset)) throw bad(`has an invalid storage offset ${String(offset)}`);
  const shape = counts(size, 'size', source);
  const strides = counts(stride, 'stride', source);
  if (shape.length !== strides.length) throw bad(`has ${shape.length} sizes but ${strides.length} strides`);
  if (typeof requiresGrad !== 'boolean') throw bad(`has requires_grad of type ${pythonTypeOf(requiresGrad)}`);
  const numel = elementCount(shape);
  if (numel === null) throw bad(`size [${shape.join(', ')}] has more elements than any file can hold`);
  if (numel > 0) {
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * strides[d];
    if (!Number.isSafeInteger(last) || last >= storage.numel) {
      throw bad(`[${shape.join(', ')}] with strides [${strides.join(', ')}] at offset ${offset} reaches element ${last} of ${storage.describe()}`);
    }
  }
  return new TorchTensor(storage, offset, shape, strides, requiresGrad);
}

function arity(args: PickleTuple, allowed: readonly number[], name: string, source: string): void {
  if (!allowed.includes(args.items.length)) {
    throw new TorchFileError(source, `pickle: ${name} called with ${args.items.length} arguments, expected ${allowed.join(' or ')}`);
  }
}

function callAllowed(name: AllowedCallable, args: PickleTuple, source: string): PickleValue {
  const a = args.items;
  switch (name) {
    case 'collections.OrderedDict':
      arity(args, [0], name, source);
      return new PickleDict(true);
    case 'torch._utils._rebuild_tensor':
      arity(args, [4], name, source);
      return checkedTensor(a[0], a[1], a[2], a[3], false, source);
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]); the hooks are
      // an OrderedDict (empty: hook functions would be refused globals) and metadata a dict.
      arity(args, [6, 7], name, source);
      if (!(a[5] instanceof PickleDict)) throw new TorchFileError(source, `pickle: ${name} backward_hooks is ${describeValue(a[5])}, expected an OrderedDict`);
      if (a.length === 7 && !(a[6] instanceof PickleDict) && a[6] !== null) {
        throw new TorchFileError(source, `pickle: ${name} metadata is ${describeValue(a[6])}, expected a dict`);
      }
      return checkedTensor(a[0], a[1], a[2], a[3], a[4], source);
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor for bnext.
      arity(args, name === 'torch._utils._rebuild_parameter' ? [3] : [4], name, source);
      const [data, requiresGrad] = a;
      if (!(data instanceof TorchTensor)) throw new TorchFileError(source, `pickle: ${name} of ${describeValue(data)}, expected a tensor`);
      if (typeof requiresGrad !== 'boolean') throw new TorchFileError(source, `pickle: ${name} requires_grad is ${describeValue(requiresGrad)}`);
      return new TorchTensor(data.storage, data.offset, data.shape, data.stride, requiresGrad);
    }
    case 'torch.Size': {
      arity(args, [1], name, source);
      const dims = a[0];
      if (!(dims instanceof PickleTuple) || !dims.items.every(isCount)) throw new TorchFileError(source, `pickle: torch.Size of ${describeValue(dims)}, expected a tuple of sizes`);
      return dims;
    }
  }
}

/** A hint for the commonest refused globals: whole modules saved with `torch.save(model)`. */
function refusalHint(qualifiedName: string): string {
  if (qualifiedName.startsWith('torch.nn.') || qualifiedName.startsWith('__main__.')) {
    return ' The file holds Python objects (e.g. a whole model saved with torch.save(model)); save model.state_dict() instead.';
  }
  return ' Unpickling this file in Python would import and run it; open it there only if you trust its author.';
}

/** The allow-listed names, shortened for messages. */
const ALLOWED_SUMMARY = 'collections.OrderedDict, torch._utils._rebuild_tensor_v2/_rebuild_tensor/_rebuild_parameter[_with_state], torch.Size, torch.<Type>Storage';

/**
 * The unpickler host for `torch.save` files. `loadStorage` turns a storage's persistent id into
 * the storage (the zip and legacy formats find the bytes differently).
 */
export function torchPickleHost(source: string, loadStorage: (id: StorageId) => TorchStorage): PickleHost {
  return {
    global(module, name) {
      const qualifiedName = `${module}.${name}`;
      if (STORAGE_MODULES.includes(module) && Object.hasOwn(STORAGE_DTYPE, name)) return new StorageClass(qualifiedName, STORAGE_DTYPE[name]);
      if ((CALLABLES as readonly string[]).includes(qualifiedName)) return new AllowedFunction(qualifiedName as AllowedCallable);
      throw new UnsafePickleError(
        source, 'global', qualifiedName,
        `pickle: refused the global '${qualifiedName}': a weights-only load imports only ${ALLOWED_SUMMARY} (docs/torch-checkpoints.md).${refusalHint(qualifiedName)}`,
      );
    },
    call(callable, args) {
      if (callable instanceof AllowedFunction) return callAllowed(callable.qualifiedName, args, source);
      const name = pythonTypeOf(callable);
      throw new UnsafePickleError(source, 'call', name, `pickle: refused a call of ${name}: a weights-only load calls only ${CALLABLES.join(', ')}`);
    },
    build(target, state) {
      // An OrderedDict's instance attributes: a state_dict's `_metadata` (module versions).
      if (target instanceof PickleDict && target.ordered && state instanceof PickleDict) {
        target.attributes = state;
        return;
      }
      const name = pythonTypeOf(target);
      throw new UnsafePickleError(source, 'call', name, `pickle: refused to set the state of a ${name} (BUILD): a weights-only load sets only an OrderedDict's attributes`);
    },
    persistentLoad(pid) {
      return loadStorage(parseStorageId(pid, source));
    },
  };
}
