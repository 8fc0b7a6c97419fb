/**
 * Crash-safe file writing, used by every writer in bnext: the bytes go to a temporary file in the
 * target's directory, are flushed to disk, and the temporary file is renamed over the target.
 * A rename within one directory is atomic on POSIX file systems, so readers see either the old
 * file or the complete new one, never a partial write.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Distinguishes temporary files of one process; the pid distinguishes processes. */
let tempCounter = 0;

/** Opens a fresh temporary file next to `path`, never reusing one left by a crashed process. */
function openTemp(path: string): { tempPath: string; fd: number } {
  for (;;) {
    const tempPath = `${path}.tmp-${process.pid}-${(tempCounter++).toString(36)}`;
    try {
      return { tempPath, fd: openSync(tempPath, 'wx') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Makes the rename itself durable; some platforms cannot open directories, which is harmless. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Directory fsync is unsupported on some platforms (EISDIR/EINVAL); the data is already synced.
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to `path` atomically; on failure removes the temporary file and rethrows. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  let tempPath: string | null = null;
  let fd: number | null = null;
  try {
    ({ tempPath, fd } = openTemp(path));
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tempPath, path);
    tempPath = null;
  } catch (e) {
    // Clean-up failures are swallowed: the original error is the one worth reporting.
    try {
      if (fd !== null) closeSync(fd);
    } catch {
      /* see above */
    }
    try {
      if (tempPath !== null) unlinkSync(tempPath);
    } catch {
      /* see above */
    }
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot write ${path}: ${reason}`, { cause: e });
  }
  syncDirectory(dirname(path));
}
