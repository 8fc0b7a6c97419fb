/** `npm run demo [-- --port N]`: builds the page into demo/dist and serves it on localhost. */
import { join } from 'node:path';
import { buildDemo, serveDemo } from './build';

const args = process.argv.slice(2);
const at = args.indexOf('--port');
const port = at >= 0 ? Number(args[at + 1]) : 8080;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`demo: --port must be an integer from 0 to 65535, got ${args[at + 1]}`);
  process.exit(2);
}
const built = await buildDemo(join(import.meta.dirname, 'dist'));
console.log(`built ${built.dir} (main.js ${(built.bundleBytes / 1024).toFixed(0)} KiB)`);
try {
  const { url } = await serveDemo(built.dir, port);
  console.log(`open ${url} (Ctrl-C stops the server)`);
} catch (e) {
  const busy = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
  console.error(busy ? `demo: port ${port} is in use; pick another with npm run demo -- --port N` : `demo: cannot serve on port ${port}: ${String(e)}`);
  process.exit(1);
}
