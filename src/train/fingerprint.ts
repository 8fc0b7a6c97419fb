/**
 * A run's fingerprint: every setting that changes what training computes, as JSON, kept in the
 * checkpoint so that a resumed run continues the same computation. A resume whose settings differ
 * is refused with each differing setting named, old and new value, before anything is written.
 *
 * Settings are values (numbers, strings, lists); what is not a value is described by what it
 * computes: the temperature schedule by its value at every epoch, a teacher by its name and a
 * CRC-32 of its logits table or its weights, the model by its configuration and the names and
 * shapes of its state_dict, a data set by its name, size and sample shape.
 */
import { crc32 } from '../engine/crc32';
import type { Module } from '../nn/module';
import type { Teacher } from '../distill/teacher';
import { LogitsFileTeacher, ModuleTeacher } from '../distill/teacher';
import type { Dataset } from './dataset';

export type SettingValue = null | boolean | number | string | SettingValue[] | { [key: string]: SettingValue };
export type RunFingerprint = Record<string, SettingValue>;

export interface SettingDifference {
  setting: string;
  /** The value the checkpoint was written with (undefined: the checkpoint does not record it). */
  checkpoint: SettingValue | undefined;
  now: SettingValue | undefined;
}

/** A checkpoint of another run configuration: `differences` lists every setting that differs. */
export class ResumeMismatchError extends Error {
  constructor(readonly source: string, readonly differences: readonly SettingDifference[]) {
    const show = (v: SettingValue | undefined): string => (v === undefined ? '(not recorded)' : JSON.stringify(v));
    super(
      `${source}: the checkpoint is of another run configuration; resuming would train something else. ` +
      `Differing: ${differences.map((d) => `${d.setting}: ${show(d.checkpoint)} in the checkpoint, ${show(d.now)} now`).join('; ')}. ` +
      'Resume with the checkpoint\'s settings, or start afresh in another folder (or without --resume).',
    );
  }
}

function isRecord(v: SettingValue | undefined): v is { [key: string]: SettingValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The settings in which two fingerprints differ, in the order `now` lists them; where both
 * sides are objects, the differing fields by dotted path (`model.config.baseWidth`).
 */
export function fingerprintDifferences(checkpoint: RunFingerprint, now: RunFingerprint, prefix = ''): SettingDifference[] {
  const keys = [...new Set([...Object.keys(now), ...Object.keys(checkpoint)])];
  return keys.flatMap((k): SettingDifference[] => {
    const [old, current] = [checkpoint[k], now[k]];
    if (isRecord(old) && isRecord(current)) return fingerprintDifferences(old, current, `${prefix}${k}.`);
    return JSON.stringify(old) === JSON.stringify(current) ? [] : [{ setting: `${prefix}${k}`, checkpoint: old, now: current }];
  });
}

/**
 * A checkpoint's fingerprint as JSON. Checkpoints written before every setting was recorded hold
 * it as a JSON string of fewer settings; the missing ones then show as differences.
 */
export function parseFingerprint(stored: unknown): RunFingerprint {
  let value: unknown = stored;
  if (typeof stored === 'string') {
    try {
      value = JSON.parse(stored);
    } catch {
      return {};
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return value as RunFingerprint;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function floatsCrc(data: Float32Array, previous = 0): number {
  return crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), previous);
}

/** A model: its configuration when it has one (a stem stride leaves the shapes alone), and its state_dict layout. */
export function describeModel(model: Module): SettingValue {
  const config = (model as { config?: unknown }).config;
  const layout = model.stateDict();
  return {
    config: config === undefined ? null : (JSON.parse(JSON.stringify(config)) as SettingValue),
    tensors: layout.size,
    shapes: hex(crc32(new TextEncoder().encode([...layout].map(([k, v]) => `${k}:${v.shape.join('x')}`).join(';')))),
  };
}

/** A teacher: its name, and a checksum of the logits it looks up or of the weights it runs. */
export function describeTeacher(t: Teacher): SettingValue {
  let sum: number | null = null;
  if (t instanceof LogitsFileTeacher) {
    sum = floatsCrc(t.table.data);
  } else if (t instanceof ModuleTeacher) {
    sum = 0;
    for (const [, v] of t.model.stateDict()) if (v.data instanceof Float32Array) sum = floatsCrc(v.data, sum);
  }
  return { name: t.name, classes: t.numClasses, crc32: sum === null ? null : hex(sum) };
}

export function describeData(d: Dataset): SettingValue {
  return { name: d.name, count: d.count, classes: d.numClasses, sample: [...d.sampleShape] };
}
