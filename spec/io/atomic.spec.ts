import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { removeStaleTempFiles, writeFileAtomic } from '../../src/io/atomic';
import { withTempDir } from './helpers';

describe('io/atomic', () => {
  it('writes the bytes and leaves no temp file', () => {
    withTempDir((dir) => {
      const path = join(dir, 'out.bin');
      writeFileAtomic(path, new Uint8Array([1, 2, 3]));
      expect([...readFileSync(path)]).to.deep.equal([1, 2, 3]);
      expect(readdirSync(dir)).to.deep.equal(['out.bin']);
    });
  });

  it('replaces an existing file whole', () => {
    withTempDir((dir) => {
      const path = join(dir, 'out.bin');
      writeFileSync(path, 'old contents, longer than the new ones');
      writeFileAtomic(path, new TextEncoder().encode('new'));
      expect(readFileSync(path, 'utf8')).to.equal('new');
      expect(readdirSync(dir)).to.deep.equal(['out.bin']);
    });
  });

  it('writes an empty file', () => {
    withTempDir((dir) => {
      writeFileAtomic(join(dir, 'empty'), new Uint8Array(0));
      expect(readFileSync(join(dir, 'empty')).length).to.equal(0);
    });
  });

  it('throws naming the path when the directory does not exist, creating nothing', () => {
    withTempDir((dir) => {
      const path = join(dir, 'missing', 'out.bin');
      expect(() => writeFileAtomic(path, new Uint8Array([1]))).to.throw(/cannot write .*missing\/out\.bin: ENOENT/);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  });

  it('removes the temp file when the final rename fails, leaving the target untouched', () => {
    withTempDir((dir) => {
      // A non-empty directory cannot be replaced by a file, so the write fails after the data is written.
      const path = join(dir, 'taken');
      mkdirSync(path);
      writeFileSync(join(path, 'keep'), 'x');
      expect(() => writeFileAtomic(path, new Uint8Array(1000))).to.throw(/cannot write .*taken: E/);
      expect(readdirSync(dir)).to.deep.equal(['taken']);
      expect(readFileSync(join(path, 'keep'), 'utf8')).to.equal('x');
    });
  });

  it('uses a fresh temp name when a stale one from a crashed writer exists', () => {
    withTempDir((dir) => {
      const path = join(dir, 'out.bin');
      for (let i = 0; i < 50; i++) writeFileSync(`${path}.tmp-${process.pid}-${i.toString(36)}`, 'stale');
      writeFileAtomic(path, new Uint8Array([9]));
      expect([...readFileSync(path)]).to.deep.equal([9]);
      expect(existsSync(`${path}.tmp-${process.pid}-0`)).to.equal(true); // not ours to remove
    });
  });

  it('removes the temporary files of ended processes only, and only names of its own pattern', () => {
    withTempDir((dir) => {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const stale = [`a.json.tmp-${dead}-0`, `b.safetensors.tmp-${dead}-1z`];
      const kept = [`c.json.tmp-${process.pid}-0`, `d.tmp-${dead}`, `e.tmp-${dead}-X`, `f.tmp-0-1`, 'g.json'];
      for (const f of [...stale, ...kept]) writeFileSync(join(dir, f), 'x');
      expect(removeStaleTempFiles(dir).sort()).to.deep.equal(stale.map((f) => join(dir, f)).sort());
      expect(readdirSync(dir).sort()).to.deep.equal([...kept].sort());
      expect(removeStaleTempFiles(join(dir, 'missing'))).to.deep.equal([]);
    });
  });

  it('removes a killed writer\'s temporary files of the same target when it writes', () => {
    withTempDir((dir) => {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      writeFileSync(join(dir, `out.bin.tmp-${dead}-0`), 'half');
      writeFileSync(join(dir, `other.bin.tmp-${dead}-0`), 'half');
      writeFileAtomic(join(dir, 'out.bin'), new Uint8Array([1]));
      expect(readdirSync(dir).sort()).to.deep.equal(['other.bin.tmp-' + dead + '-0', 'out.bin']);
    });
  });
});
