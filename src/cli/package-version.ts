/** bnext's version from package.json, recorded in the files the CLI writes (bundles, ONNX models). */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const json = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return json.version ?? 'unknown';
}
