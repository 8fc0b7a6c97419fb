/** Every `bnext` command, in the order `bnext --help` lists them. */
import type { Command } from '../command';
import { recipe } from './recipe';
import { forward } from './forward';
import { stats } from './stats';
import { kc } from './kc';
import { preprocess } from './preprocess';
import { pack } from './pack';
import { trainCommand } from './train';
import { evalCommand } from './evaluate';
import { predict } from './predict';
import { landscape } from './landscape';

export const commands: readonly Command[] = [recipe, trainCommand, evalCommand, predict, forward, stats, kc, preprocess, pack, landscape];
