/**
 * Crash-safe file writing, used by every writer in bnext: the bytes go to a temporary file in the
 * target's directory, are flushed to disk, and the temporary file is renamed over the target.
 * A rename within one directory is atomic on POSIX file systems, so readers see either the old
 * file or the complete new one, never a partial write.
 *
 * A process killed between opening and renaming leaves its temporary file behind
 * (`<target>.tmp-<pid>-<n>`). Each write removes those of its own target, and a training run
 * removes all of them from its folder when it starts (`removeStaleTempFiles`), but only where the
 * pid is no longer a running process: two processes may write into one folder at once, and
 * removing a live writer's temporary file would make its rename fail. A pid reused since by an
 * unrelated process keeps its leftover until that process ends, which errs on the safe side.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

/** The names `openTemp` gives: the target's name, `.tmp-`, the pid, `-`, a base-36 counter. */
const TEMP_NAME = /^(.+)\.tmp-([1-9]\d*)-[0-9a-z]+$/;

/** Whether `pid` is a running process (ours included); EPERM means it runs as another user. */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes from `dir` the temporary files of atomic writes whose process has ended (of `target`
 * alone when given, a file name in `dir`); returns their paths. A folder that cannot be listed
 * has nothing to clean; a file that vanished meanwhile was removed by someone else.
 */
export function removeStaleTempFiles(dir: string, target?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match || (target !== undefined && match[1] !== target) || isRunning(Number(match[2]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      // Gone already, or not ours to remove: either way not a reason to fail a write.
    }
  }
  return removed;
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
  removeStaleTempFiles(dirname(path), basename(path));
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
