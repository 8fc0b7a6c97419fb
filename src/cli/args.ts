/**
 * A small argument parser for the `bnext` commands: `--name value`, `--flag`, and positionals.
 * Errors are user errors (exit code 1, one line), never stack traces.
 */
import { describeBounds, type NumberBounds, withinBounds } from '../tensor/arguments';

/** An error caused by the user's input; the CLI prints its message alone and exits with 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgs {
  /** The last value of each option. */
  options: Map<string, string>;
  /** Every value of each option, for options that may repeat. */
  lists: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

/**
 * Parses argv against the option names that take a value and the flags that do not.
 * Unknown options are refused by name, so a typo never silently changes a run.
 */
export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[], command: string): ParsedArgs {
  const out: ParsedArgs = { options: new Map(), lists: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (valued.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
      out.options.set(name, value);
      out.lists.set(name, [...(out.lists.get(name) ?? []), value]);
    } else if (flags.includes(name) && eq < 0) {
      out.flags.add(name);
    } else {
      throw new UsageError(`${command}: unknown option --${name} (see bnext ${command} --help)`);
    }
  }
  return out;
}

export function requireOption(args: ParsedArgs, name: string, command: string): string {
  const v = args.options.get(name);
  if (v === undefined) throw new UsageError(`${command}: --${name} is required`);
  return v;
}

/**
 * The number --name gives, or undefined when it is not given; a value that is not a number in
 * `bounds` (src/tensor/arguments.ts, the bounds the API checks too) is refused by name.
 */
function boundedOption(args: ParsedArgs, name: string, command: string, bounds: NumberBounds): number | undefined {
  const v = args.options.get(name);
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (!withinBounds(n, bounds)) throw new UsageError(`${command}: --${name} must be ${describeBounds(bounds)}, got '${v}'`);
  return n;
}

/** The integer value of --name within `bounds`, or undefined when it is not given. */
export function optionalIntOption(args: ParsedArgs, name: string, command: string, bounds: NumberBounds = {}): number | undefined {
  return boundedOption(args, name, command, { ...bounds, integer: true });
}

export function intOption(args: ParsedArgs, name: string, fallback: number, command: string, bounds: NumberBounds = {}): number {
  return optionalIntOption(args, name, command, bounds) ?? fallback;
}

export function numberOption(args: ParsedArgs, name: string, fallback: number, command: string, bounds: NumberBounds = {}): number {
  return boundedOption(args, name, command, bounds) ?? fallback;
}

/** AdamW's --betas as "b1,b2", each in [0, 1); undefined when not given. */
export function optionalBetasOption(args: ParsedArgs, command: string): [number, number] | undefined {
  const v = args.options.get('betas');
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  if (parts.length !== 2 || parts.some((b) => !(b >= 0 && b < 1))) throw new UsageError(`${command}: --betas must be two numbers in [0, 1) like 0.99,0.999, got '${v}'`);
  return [parts[0], parts[1]];
}
