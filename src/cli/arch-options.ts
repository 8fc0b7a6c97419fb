/** The architecture options every model command shares (`--arch`, widths, ablations). */
import { optionalIntOption, type ParsedArgs, UsageError } from './args';
import type { ArchOptions } from '../models/factory';
import { CONFIG_BOUNDS } from '../models/config';
import { withinBounds } from '../tensor/arguments';

export const ARCH_VALUED = ['arch', 'base-width', 'stages', 'classes', 'stem-stride', 'in-channels'] as const;
export const ARCH_FLAGS = ['no-elm', 'no-recoupling'] as const;

const ARCHS = 'bnext-t | bnext-s | bnext-m | bnext-l | bnext-18 | bnext';

/**
 * The help of the architecture options. A command with a default model (`bnext train`: the
 * digits' student) passes it, and the help states its values instead of the generic defaults;
 * `archs` lists the architectures the command accepts.
 */
export function archUsage(defaults?: ArchOptions, archs = ARCHS): string {
  const d = defaults;
  return [
    `  --arch A               ${archs}`,
    ...(d ? [`                         (default: ${d.arch} with the values below)`] : []),
    `  --base-width C         base width (${d?.baseWidth !== undefined ? `default ${d.baseWidth}` : 'required with --arch bnext; bnext-18: default 64'})`,
    d?.stages
      ? `  --stages r1,r2,r3,r4   stage ratios with --arch bnext (default ${d.stages.join(',')}; trailing 0s allowed);\n                         blocks per layer with bnext-18`
      : '  --stages r1,r2,r3,r4   stage ratios with --arch bnext, e.g. 1,1,3,1 (trailing 0s allowed);\n                         blocks per layer with bnext-18 (default 2,2,2,2)',
    `  --classes N            number of classes (default ${d?.numClasses ?? 1000})`,
    `  --stem-stride S        1 or 2 (default: ${d?.stemStride ?? '2 for 1000 classes, else 1'})`,
    `  --in-channels K        input channels of the stem (default ${d?.inChannels ?? 3})`,
    '  --no-elm               ablation: no ELM-Attention (paper Table 4)',
    '  --no-recoupling        ablation: no Info-Recoupling (paper Table 4)',
  ].join('\n');
}

export const ARCH_USAGE = archUsage();

/** The architecture options given on the command line, unset ones undefined. */
function givenArchOptions(args: ParsedArgs, command: string): Omit<ArchOptions, 'arch'> & { arch?: string } {
  let stages: [number, number, number, number] | undefined;
  const s = args.options.get('stages');
  if (s !== undefined) {
    const parts = s.split(/[,:]/).map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
    const bounds = CONFIG_BOUNDS.stageRatio;
    if (parts.length !== 4 || parts.some((p) => !withinBounds(p, bounds))) {
      throw new UsageError(`${command}: --stages must be four integers from ${bounds.min} to ${bounds.max} like 1,1,3,1, got '${s}'`);
    }
    stages = [parts[0], parts[1], parts[2], parts[3]];
  }
  return {
    arch: args.options.get('arch'),
    baseWidth: optionalIntOption(args, 'base-width', command, CONFIG_BOUNDS.baseWidth),
    stages,
    numClasses: optionalIntOption(args, 'classes', command, CONFIG_BOUNDS.numClasses),
    stemStride: optionalIntOption(args, 'stem-stride', command, { min: 1, max: 2 }),
    inChannels: optionalIntOption(args, 'in-channels', command, CONFIG_BOUNDS.inChannels),
    elmAttention: args.flags.has('no-elm') ? false : undefined,
    infoRecoupling: args.flags.has('no-recoupling') ? false : undefined,
  };
}

/**
 * The architecture options of a command. Without --arch, the command's `defaults` (its default
 * model) apply, with any option given laid over them; commands without defaults require --arch.
 */
export function archOptionsFrom(args: ParsedArgs, command: string, defaults?: ArchOptions): ArchOptions {
  const given = givenArchOptions(args, command);
  if (given.arch !== undefined) return { ...given, arch: given.arch };
  if (!defaults) throw new UsageError(`${command}: --arch is required`);
  const merged: ArchOptions = { ...defaults };
  for (const [k, v] of Object.entries(given) as [keyof ArchOptions, ArchOptions[keyof ArchOptions]][]) {
    if (v !== undefined) Object.assign(merged, { [k]: v });
  }
  return merged;
}
