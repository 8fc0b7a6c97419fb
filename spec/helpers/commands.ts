/** Running `bnext` commands in-process in the specs: their printed lines, or their refusal. */
import { expect } from 'chai';
import type { Command } from '../../src/cli/command';

/** Runs a command in-process, expecting success; returns what it printed. */
export async function run(command: Command, argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
  try {
    expect(await command.run(argv)).to.equal(0);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

/** Runs a command in-process, expecting it to refuse; returns the error. */
export async function refusal(command: Command, argv: string[]): Promise<Error> {
  try {
    await run(command, argv);
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
  throw new Error(`${command.name} ${argv.join(' ')} did not fail`);
}
