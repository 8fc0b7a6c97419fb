/**
 * The `bnext` command line: dispatches to one file per command under `commands/`, loading only
 * the command that runs. User errors print one line and exit with code 1. BNEXT_KERNELS=reference
 * runs the command on the reference kernels (io/environment.ts).
 */
import { type CommandEntry, commands } from './commands/index';
import { kernelsFromEnvironment } from '../io/environment';

function help(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'bnext: BNext binary neural networks in TypeScript',
    '',
    'usage: bnext <command> [options]   (bnext <command> --help for its options)',
    '',
    'commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  kernelsFromEnvironment();
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(help(commands));
    return 0;
  }
  // No command is a usage error, as an unknown one is: a script that forgot it must not pass.
  if (name === undefined) {
    console.error(`bnext: no command given\n\n${help(commands)}`);
    return 1;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`bnext: unknown command '${name}'\n\n${help(commands)}`);
    return 1;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  return command.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // Bad input (UsageError, or a library error naming a file, key or shape) is one line and
  // exit code 1; BNEXT_DEBUG=1 shows the stack for bug reports.
  if (process.env.BNEXT_DEBUG || !(err instanceof Error)) throw err;
  console.error(`bnext: ${err.message}`);
  process.exitCode = 1;
}
