/**
 * The ImageNet folder layout, `root/train/<class>/*` and `root/val/<class>/*`, indexed as
 * torchvision 0.14's ImageFolder indexes it, so label i here is label i there:
 *
 * - classes are the sub-folders of the split (symlinks followed), sorted as Python sorts strings
 *   (by code point); their position is the label;
 * - a class's images are all files below its folder, at any depth, whose lower-cased name ends in
 *   one of torchvision's extensions; folders are visited in sorted path order, files sorted by name;
 * - a class folder without such a file is an error (torchvision raises too), naming it.
 *
 * The listing accepts every extension torchvision does; the decoder reads PNG and JPEG and names
 * any other format when it meets one. A class map (class-names.ts, with folder ids) replaces the
 * sorted order by the map's order, as timm's `class_map` does, and supplies display names.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassNames } from './class-names';

/** torchvision's IMG_EXTENSIONS. */
export const IMG_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

/** One image of a folder data set: its path and label. */
export interface Sample {
  path: string;
  label: number;
}

/** Python's string order: by Unicode code point (JS's default sort compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx - cy;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling symlink: torchvision's is_dir() is False too
  }
}

function hasImageExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Every directory under `dir` (itself included), following symlinks, sorted by path. */
function walkDirectories(dir: string, out: string[] = []): string[] {
  out.push(dir);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (isDirectory(p)) walkDirectories(p, out);
  }
  return out;
}

/** The image files under a class folder, in torchvision's order. */
function classFiles(dir: string): string[] {
  const files: string[] = [];
  for (const d of walkDirectories(dir).sort(compareCodePoints)) {
    const names = readdirSync(d).filter((n) => hasImageExtension(n) && !isDirectory(join(d, n)));
    for (const n of names.sort(compareCodePoints)) files.push(join(d, n));
  }
  return files;
}

/** `ImageFolder`'s options. */
export interface ImageFolderOptions {
  /** Fixes label order and display names from a class-name file with folder ids. */
  classMap?: ClassNames;
}

/** torchvision's ImageFolder: one folder per class, labels in sorted folder order. */
export class ImageFolder {
  /** Class folder names, by label. */
  readonly classes: string[];
  /** Display names, by label (the folder names unless a class map gives others). */
  readonly classNames: string[];
  readonly samples: Sample[];

  private constructor(readonly root: string, classes: string[], classNames: string[], samples: Sample[]) {
    this.classes = classes;
    this.classNames = classNames;
    this.samples = samples;
  }

  get length(): number {
    return this.samples.length;
  }

  /** Indexes `root/<class>/...`. */
  static open(root: string, options: ImageFolderOptions = {}): ImageFolder {
    if (!isDirectory(root)) throw new Error(`${root}: image folder not found (or not a directory)`);
    const folders = readdirSync(root).filter((n) => isDirectory(join(root, n))).sort(compareCodePoints);
    if (folders.length === 0) throw new Error(`${root}: no class folders (expected ${root}/<class>/<image>)`);
    let classes = folders;
    let classNames = folders;
    const map = options.classMap;
    if (map) {
      if (!map.ids) throw new Error(`${root}: the class map has no folder ids (needs lines like 'n01440764 tench')`);
      const known = new Set(map.ids);
      const stray = folders.filter((f) => !known.has(f));
      if (stray.length > 0) throw new Error(`${join(root, stray[0])}: class folder is not in the class map (${stray.length} such folder(s))`);
      classes = map.ids.filter((id) => folders.includes(id));
      classNames = classes.map((id) => map.names[(map.ids as string[]).indexOf(id)]);
      if (classes.length !== map.ids.length) {
        const missing = map.ids.find((id) => !folders.includes(id));
        throw new Error(`${join(root, missing ?? '')}: class folder named in the class map does not exist`);
      }
    }
    const samples: Sample[] = [];
    classes.forEach((cls, label) => {
      const dir = join(root, cls);
      const files = classFiles(dir);
      if (files.length === 0) throw new Error(`${dir}: class folder has no image files (extensions: ${IMG_EXTENSIONS.join(' ')})`);
      for (const path of files) samples.push({ path, label });
    });
    return new ImageFolder(root, classes, classNames, samples);
  }
}

/** The splits of an ImageNet-style data set. */
export type Split = 'train' | 'val';

/**
 * `root/train` or `root/val` of an ImageNet-style dataset; a missing split is an error naming
 * it.
 */
export function openSplit(root: string, split: Split, options: ImageFolderOptions = {}): ImageFolder {
  if (!isDirectory(root)) throw new Error(`${root}: dataset folder not found (or not a directory)`);
  const dir = join(root, split);
  if (!isDirectory(dir)) throw new Error(`${dir}: no ${split}/ folder (expected ${root}/${split}/<class>/<image>)`);
  return ImageFolder.open(dir, options);
}
