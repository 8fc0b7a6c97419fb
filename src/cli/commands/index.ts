/** Every `bnext` command, in the order `bnext --help` lists them. */
import type { Command } from '../command';
import { demo } from './demo';
import { forward } from './forward';
import { stats } from './stats';
import { kc } from './kc';
import { preprocess } from './preprocess';

export const commands: readonly Command[] = [demo, forward, stats, kc, preprocess];
