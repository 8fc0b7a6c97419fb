/** Running the `bnext` command as a user does, in a child process. */
import { spawnSync } from 'node:child_process';

/** Runs `bnext args…` (bin/bnext.mjs) to its end; its exit status and output. */
export function bnext(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['bin/bnext.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}
