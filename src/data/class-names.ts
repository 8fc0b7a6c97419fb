/**
 * Class-name files: the human-readable name of each class index, and optionally the folder name
 * (an ImageNet synset id such as n01440764) each index stands for. Accepted formats:
 *
 * - text, one class per line in index order: either just the name ("tench, Tinca tinca"), or a
 *   folder id, a space, then the name ("n01440764 tench, Tinca tinca", as ImageNet's
 *   LOC_synset_mapping.txt). A line's first word counts as an id when it looks like a synset id
 *   (n + 8 digits) on every line. Blank lines at the end are ignored.
 * - JSON: an array of names; or an object whose keys are indices 0..N-1 and whose values are a
 *   name or [id, name] (the widespread imagenet_class_index.json).
 */
export interface ClassNames {
  /** Display name of each class index. */
  names: string[];
  /** Folder name of each index, when the file gives them. */
  ids: string[] | null;
}

const SYNSET_LINE = /^(n\d{8})\s+(.+)$/;

/** Parses class-name file text; `source` names the file in errors. */
export function parseClassNames(text: string, source: string): ClassNames {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJson(trimmed, source);
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  if (lines.length === 0 || (lines.length === 1 && lines[0].trim() === '')) throw new Error(`${source}: class-name file is empty`);
  lines.forEach((line, i) => {
    if (line.trim() === '') throw new Error(`${source}:${i + 1}: blank line inside the class list`);
  });
  const matches = lines.map((l) => SYNSET_LINE.exec(l.trim()));
  if (matches.every((m) => m !== null)) {
    return { names: matches.map((m) => (m as RegExpExecArray)[2]), ids: matches.map((m) => (m as RegExpExecArray)[1]) };
  }
  return { names: lines.map((l) => l.trim()), ids: null };
}

function parseJson(text: string, source: string): ClassNames {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: invalid JSON (${(e as Error).message})`);
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v !== 'string') throw new Error(`${source}: entry ${i} is not a string`);
    });
    return { names: value as string[], ids: null };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const names: string[] = new Array<string>(entries.length);
  const ids: string[] = new Array<string>(entries.length);
  let withIds = 0;
  for (const [key, v] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
      throw new Error(`${source}: key '${key}' is not a class index in 0..${entries.length - 1}`);
    }
    if (typeof v === 'string') {
      names[index] = v;
    } else if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      ids[index] = v[0];
      names[index] = v[1];
      withIds++;
    } else {
      throw new Error(`${source}: value of '${key}' must be a name or [id, name]`);
    }
  }
  return { names, ids: withIds === entries.length ? ids : null };
}
