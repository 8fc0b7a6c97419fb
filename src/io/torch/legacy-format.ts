/**
 * The legacy format of `torch.save` (`_use_new_zipfile_serialization=False`, and every file before
 * torch 1.6; docs/torch-checkpoints.md, "The legacy format"): five pickles back to back, then the
 * storages' data.
 *
 *     pickle 1   the magic number 0x1950a86a20f9469cfc6c
 *     pickle 2   the protocol version, 1001
 *     pickle 3   system information: {'protocol_version', 'little_endian', 'type_sizes'}
 *     pickle 4   the object; tensors point at storages by persistent id
 *                ('storage', class, key, location, numel, view metadata or None)
 *     pickle 5   the storage keys, in the order their data follows
 *     then, per key: the element count (8 bytes, little-endian) and the elements
 */
import { DTYPE_SIZE } from '../stored';
import { TorchFileError, UnsafePickleError } from './errors';
import { type StorageId, TorchStorage, torchPickleHost } from './allow-list';
import { PickleDict, describeValue, type PickleHost, type PickleValue, pythonTypeOf, unpickle } from './pickle';

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** The first bytes of every legacy file: PROTO 2, then LONG1 of 10 bytes (the magic number). */
export const LEGACY_SIGNATURE = [0x80, 0x02, 0x8a, 0x0a] as const;

/** For the header pickles, which hold only plain values: every import, call and id is refused. */
function plainHost(source: string): PickleHost {
  const refuse = (kind: 'global' | 'call', name: string): never => {
    throw new UnsafePickleError(source, kind, name, `pickle: refused ${kind === 'global' ? 'the global' : 'a call of'} '${name}' in a legacy file's header, which holds only plain values`);
  };
  return {
    global: (module, name) => refuse('global', `${module}.${name}`),
    call: (callable) => refuse('call', pythonTypeOf(callable)),
    build: (target) => refuse('call', pythonTypeOf(target)),
    persistentLoad: () => refuse('call', 'persistent id'),
  };
}

interface PendingView {
  view: TorchStorage;
  root: TorchStorage;
  offset: number;
}

/** The unpickled object of a legacy-format file, its storages read from after the pickles. */
export function readLegacyFormat(bytes: Uint8Array, source: string): PickleValue {
  const header = plainHost(source);
  const magic = unpickle(bytes, header, source);
  if (magic.value !== MAGIC_NUMBER) throw new TorchFileError(source, 'not a torch.save file (the legacy format starts with its magic number)');
  const protocol = unpickle(bytes, header, source, magic.end);
  if (protocol.value !== PROTOCOL_VERSION) throw new TorchFileError(source, `legacy format protocol ${String(protocol.value)} is not supported (expected ${PROTOCOL_VERSION})`);
  const sysInfo = unpickle(bytes, header, source, protocol.end);
  if (!(sysInfo.value instanceof PickleDict) || sysInfo.value.entries.get('little_endian') !== true) {
    throw new TorchFileError(source, 'the legacy header does not say little_endian: True; only little-endian files are supported');
  }

  const storages = new Map<string, TorchStorage>();
  const views = new Map<string, PendingView>();
  const loadStorage = (id: StorageId): TorchStorage => {
    const dtype = id.storageClass.dtype;
    let root = storages.get(id.key);
    if (!root) {
      root = new TorchStorage(id.key, dtype, id.numel, id.location);
      storages.set(id.key, root);
    } else if (root.dtype !== dtype || root.numel !== id.numel) {
      throw new TorchFileError(source, `pickle: storage '${id.key}' is named as ${root.describe()} and as ${id.numel} x ${dtype}`);
    }
    if (!id.view) return root;
    const known = views.get(id.view.key);
    if (known) return known.view;
    if (id.view.offset + id.view.numel > root.numel) {
      throw new TorchFileError(source, `pickle: storage view '${id.view.key}' [${id.view.offset}, ${id.view.offset + id.view.numel}) lies outside ${root.describe()}`);
    }
    const view = new TorchStorage(id.view.key, dtype, id.view.numel, id.location);
    views.set(id.view.key, { view, root, offset: id.view.offset });
    return view;
  };
  const object = unpickle(bytes, torchPickleHost(source, loadStorage), source, sysInfo.end);
  const keys = unpickle(bytes, header, source, object.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new TorchFileError(source, `the legacy storage key list is ${describeValue(keys.value)}, expected a list of str`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new TorchFileError(source, `the legacy storage list names '${key}', which no tensor uses`);
    if (at + 8 > bytes.length) throw new TorchFileError(source, `storage '${key}': its element count at byte ${at} runs past the end of the file (${bytes.length} bytes)`);
    const count = view.getBigInt64(at, true);
    if (count !== BigInt(storage.numel)) throw new TorchFileError(source, `storage '${key}' has ${count} elements in the data section, but its tensors' id says ${storage.numel}`);
    const start = at + 8;
    const length = storage.numel * DTYPE_SIZE[storage.dtype];
    if (length > bytes.length - start) throw new TorchFileError(source, `storage '${key}': ${length} bytes at byte ${start} run past the end of the file (${bytes.length} bytes)`);
    storage.setBytes(bytes.subarray(start, start + length));
    at = start + length;
  }
  for (const { view: v, root, offset } of views.values()) {
    const size = DTYPE_SIZE[v.dtype];
    v.setBytes(root.data(source).subarray(offset * size, (offset + v.numel) * size));
  }
  return object.value;
}
