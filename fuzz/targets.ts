/** Every parser the fuzzer feeds, by name. */
import type { FuzzTarget, ParserName } from './target';
import { safetensorsTarget } from './formats/safetensors';
import { npyTarget } from './formats/npy';
import { bnxTarget } from './formats/bnx';
import { jpegTarget, pngTarget } from './formats/images';
import { pthTarget } from './formats/pth';

export const TARGETS: Readonly<Record<ParserName, FuzzTarget>> = {
  safetensors: safetensorsTarget,
  npy: npyTarget,
  bnx: bnxTarget,
  png: pngTarget,
  jpeg: jpegTarget,
  pth: pthTarget,
};
