/** The shape of one `bnext` sub-command; each lives in its own file under `commands/`. */
export interface Command {
  name: string;
  /** One line for `bnext --help`. */
  summary: string;
  /** Full usage text for `bnext <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. Throw `UsageError` for bad input. */
  run(argv: string[]): Promise<number>;
}
