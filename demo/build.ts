/**
 * Builds the page into a static folder and serves it (`npm run demo`; the browser spec uses
 * both). esbuild bundles demo/src/main.ts with the library's core (`bnext` is src/index.ts,
 * through tsconfig's paths) for the browser; a `node:` module in the bundle is an error, as
 * the core must stay browser-safe (docs/api.md).
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const HERE = import.meta.dirname;
export const DEMO_MODEL = join(HERE, 'model', 'digits.bnx');

/** What a build wrote. */
export interface DemoBuild {
  dir: string;
  /** The bundle's size in bytes. */
  bundleBytes: number;
  /** The source files in the bundle. */
  inputs: string[];
}

/** The page (index.html, main.js, model/digits.bnx) in `dir`, replacing what was there. */
export async function buildDemo(dir: string): Promise<DemoBuild> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'model'), { recursive: true });
  const result = await build({
    entryPoints: [join(HERE, 'src', 'main.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    outfile: join(dir, 'main.js'), sourcemap: true, metafile: true, logLevel: 'warning', tsconfig: join(HERE, 'tsconfig.json'),
  });
  const inputs = Object.keys(result.metafile.inputs);
  // seedrandom asks for `crypto` only where it exists (esbuild marks it "(disabled)"): allowed,
  // as in the core's own browser spec (spec/api/browser.spec.ts).
  const node = inputs.filter((i) => i.startsWith('node:') || (i.startsWith('(disabled):') && i !== '(disabled):crypto'));
  if (node.length > 0) throw new Error(`demo: the page's bundle pulls Node modules: ${node.join(', ')}`);
  copyFileSync(join(HERE, 'index.html'), join(dir, 'index.html'));
  copyFileSync(DEMO_MODEL, join(dir, 'model', 'digits.bnx'));
  return { dir, bundleBytes: result.metafile.outputs[Object.keys(result.metafile.outputs).find((o) => o.endsWith('main.js'))!].bytes, inputs };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.map': 'application/json', '.bnx': 'application/octet-stream',
};

/** A static server of `dir` on localhost (port 0: any free port); resolves once listening. */
export function serveDemo(dir: string, port: number): Promise<{ server: Server; url: string }> {
  const root = normalize(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep) || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({ server, url: `http://localhost:${actual}/` });
    });
  });
}
