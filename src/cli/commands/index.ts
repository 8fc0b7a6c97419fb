/** Every `bnext` command, in the order `bnext --help` lists them. */
import type { Command } from '../command';

export const commands: readonly Command[] = [];
