/**
 * The zip format of `torch.save` (torch >= 1.6; docs/torch-checkpoints.md, "The zip format"):
 *
 *     <folder>/data.pkl        the pickled object; tensors point at storages by persistent id
 *     <folder>/data/<key>      each storage's raw little-endian elements
 *     <folder>/version         the format version; torch 2.x adds <folder>/byteorder and .data/
 *
 * The folder is named after the file's stem when torch writes a path (`archive` for streams), so
 * it is found from the one `*\/data.pkl` entry rather than assumed.
 */
import { DTYPE_SIZE } from '../stored';
import { TorchFileError } from './errors';
import { type StorageId, TorchStorage, torchPickleHost } from './allow-list';
import { type PickleValue, unpickle } from './pickle';
import { readZipDirectory, type ZipEntry, zipEntryData } from './zip';

const PICKLE_NAME = 'data.pkl';

/** The folder holding data.pkl, with its trailing slash. */
function archiveFolder(entries: Map<string, ZipEntry>, source: string): string {
  const folders = [...entries.keys()].filter((name) => name.endsWith(`/${PICKLE_NAME}`) && name.indexOf('/') === name.length - PICKLE_NAME.length - 1);
  if (folders.length === 0) throw new TorchFileError(source, `zip: no <folder>/${PICKLE_NAME} entry: a zip file, but not one torch.save wrote`);
  if (folders.length > 1) throw new TorchFileError(source, `zip: ${folders.length} ${PICKLE_NAME} entries (${folders.join(', ')}); torch.save writes one`);
  return folders[0].slice(0, -PICKLE_NAME.length);
}

/** The format version record every torch.save archive has (PyTorch refuses an archive without one). */
function checkVersion(bytes: Uint8Array, entries: Map<string, ZipEntry>, folder: string, source: string): void {
  const entry = entries.get(`${folder}version`);
  if (!entry) throw new TorchFileError(source, `zip: no ${folder}version record (torch.save writes one)`);
  const text = new TextDecoder().decode(zipEntryData(bytes, entry, source)).trim();
  if (!/^\d{1,4}$/.test(text)) throw new TorchFileError(source, `zip: ${folder}version holds ${JSON.stringify(text.slice(0, 20))}, not a format version number`);
}

/** Refuses big-endian archives (torch >= 2.1 records the writer's byte order). */
function checkByteOrder(bytes: Uint8Array, entries: Map<string, ZipEntry>, folder: string, source: string): void {
  const entry = entries.get(`${folder}byteorder`);
  if (!entry) return;
  const order = new TextDecoder().decode(zipEntryData(bytes, entry, source)).trim();
  if (order !== 'little') throw new TorchFileError(source, `the archive's byte order is '${order}'; only little-endian files are supported`);
}

/** The unpickled object of a zip-format file, its storages read from the archive. */
export function readZipFormat(bytes: Uint8Array, source: string): PickleValue {
  const entries = readZipDirectory(bytes, source);
  const folder = archiveFolder(entries, source);
  checkVersion(bytes, entries, folder, source);
  checkByteOrder(bytes, entries, folder, source);
  const storages = new Map<string, TorchStorage>();
  const loadStorage = (id: StorageId): TorchStorage => {
    if (id.view) throw new TorchFileError(source, `pickle: storage '${id.key}' has view metadata, which only the legacy format writes`);
    const known = storages.get(id.key);
    if (known) {
      if (known.dtype !== id.storageClass.dtype || known.numel !== id.numel) {
        throw new TorchFileError(source, `pickle: storage '${id.key}' is named as ${known.describe()} and as ${id.numel} x ${id.storageClass.dtype}`);
      }
      return known;
    }
    const name = `${folder}data/${id.key}`;
    const entry = entries.get(name);
    if (!entry) throw new TorchFileError(source, `zip: storage '${id.key}' has no entry ${name}`);
    const storage = new TorchStorage(id.key, id.storageClass.dtype, id.numel, id.location);
    if (entry.size !== storage.byteLength) {
      throw new TorchFileError(source, `zip: entry ${name} has ${entry.size} bytes, but its storage holds ${id.numel} elements of ${id.storageClass.dtype} (${DTYPE_SIZE[storage.dtype]} bytes each)`);
    }
    storage.setBytes(zipEntryData(bytes, entry, source));
    storages.set(id.key, storage);
    return storage;
  };
  const pickle = zipEntryData(bytes, entries.get(`${folder}${PICKLE_NAME}`)!, source);
  const { value, end } = unpickle(pickle, torchPickleHost(source, loadStorage), source, 0, `${folder}${PICKLE_NAME}`);
  if (end !== pickle.length) throw new TorchFileError(source, `${folder}${PICKLE_NAME} has ${pickle.length - end} bytes after the pickle's STOP`);
  return value;
}
