/**
 * @browser: the demo page (demo/, `npm run demo`) in a real headless Chromium. It builds and
 * serves the page, draws a stroke with mouse events, and checks that the page's prediction is
 * the Node engine's for the same drawing (the drawing canvas's pixels read back out, through the
 * same digitFromDrawing, into the packed engine of the same .bnx), that the layer views and the
 * worked XNOR-popcount rendered, and that a broken model file gets a visible message. It takes
 * a screenshot: docs/figures/demo.png with BNEXT_UPDATE_FIGURES=1, else a temporary file, so a
 * test run leaves the tree as it was. Without a Chromium binary it says so and skips.
 * Its callbacks run in the page and use the DOM's types: demo/tsconfig.json type-checks this
 * file (`tsc -p demo` in `npm test`), the root tsconfig.json leaves it out.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { buildDemo, DEMO_MODEL, serveDemo } from '../../demo/build';
import { DIGIT_SIZE, digitFromDrawing } from '../../demo/src/digit-image';
import { loadPackedModel } from '../../src/engine/bnx-file';
import { serializeBnx } from '../../src/engine/bnx';
import { bnxContentsOf } from '../../src/engine/load';
import { createModel } from '../../src/models/create';
import { setTemperature } from '../../src/optim/temperature';
import { Tensor } from '../../src/tensor/tensor';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FIGURE = join('docs', 'figures', 'demo.png');

/** What the page shows after a stroke. */
interface PageReading {
  ink: number[];
  width: number;
  height: number;
  packedLogits: number[];
  floatLogits: number[];
}

describe('demo page in headless Chromium @browser', function () {
  this.timeout(120_000);
  let dir = '';
  let server: Server | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let reading: PageReading;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM=/path/to/it): the browser spec of the demo page did not run`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'bnext-demo-'));
    const built = await buildDemo(join(dir, 'site'));
    const served = await serveDemo(built.dir, 0);
    server = served.server;
    const { launch } = await import('puppeteer-core');
    browser = await launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 1150 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready]');
    expect(errors, 'errors in the page').to.deep.equal([]);
    expect(await page.$eval('#message', (m) => m.textContent), 'the page refused its own model').to.equal('');
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('classifies a stroke drawn with the mouse exactly as the Node engine does', async () => {
    const box = await (await page.$('#draw'))!.boundingBox();
    if (!box) throw new Error('the drawing canvas is not on screen');
    // A "7": a bar, then a slanted stroke down.
    const points = [[0.25, 0.2], [0.75, 0.2], [0.45, 0.85]].map(([x, y]) => [box.x + x * box.width, box.y + y * box.height]);
    await page.mouse.move(points[0][0], points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(x, y, { steps: 12 });
    await page.mouse.up();
    await page.waitForSelector('#prediction[data-packed-logits]');
    reading = await page.evaluate(() => {
      const canvas = document.getElementById('draw') as HTMLCanvasElement;
      const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const prediction = document.getElementById('prediction')!;
      return {
        ink: Array.from({ length: canvas.width * canvas.height }, (_, i) => rgba[4 * i]),
        width: canvas.width, height: canvas.height,
        packedLogits: JSON.parse(prediction.dataset.packedLogits!) as number[],
        floatLogits: JSON.parse(prediction.dataset.floatLogits!) as number[],
      };
    });
    const digit = digitFromDrawing(Uint8Array.from(reading.ink), reading.width, reading.height);
    expect(digit, 'the stroke left no ink').to.not.equal(null);
    const node = loadPackedModel(DEMO_MODEL).run(new Tensor(digit!.pixels, [1, 1, DIGIT_SIZE, DIGIT_SIZE])).data;
    const top1 = (l: ArrayLike<number>): number => Array.from(l).indexOf(Math.max(...Array.from(l)));
    expect(top1(reading.packedLogits)).to.equal(top1(node));
    expect(reading.packedLogits, 'the page\'s logits against the Node engine\'s, bit for bit').to.deep.equal(Array.from(node));
    // The float network of the same weights agrees on the class (its logits within float32 rounding).
    expect(top1(reading.floatLogits)).to.equal(top1(node));
    const gap = Math.max(...reading.floatLogits.map((v, i) => Math.abs(v - node[i])));
    expect(gap, 'float network against the packed engine').to.be.below(1e-3);
  });

  it('renders every binary layer\'s float and ±1 maps, the weight bits and the worked output', async () => {
    // (No named functions inside evaluate: tsx's esbuild would wrap them in a helper the page lacks.)
    const [float, binary, sums] = await page.evaluate(() => ['#layers canvas.float-map', '#layers canvas.binary-map', '#sums'].map((selector) => {
      const canvases = [...document.querySelectorAll<HTMLCanvasElement>(selector)];
      let drawn = 0, blackAndWhite = 0;
      for (const c of canvases) {
        const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const greys = new Set<number>();
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0) greys.add(px[i]);
        if (greys.size > 0) drawn++;
        if (greys.has(0) && greys.has(255) && greys.size === 2) blackAndWhite++;
      }
      return { count: canvases.length, drawn, blackAndWhite };
    }));
    const maps = await page.evaluate(() => ({
      layers: document.querySelectorAll('#layers h3').length,
      worked: document.getElementById('worked')!.textContent ?? '',
      bits: document.querySelectorAll('#weight-bits td.bits').length,
    }));
    expect(maps.layers).to.be.greaterThan(1);
    expect(float.count).to.be.greaterThan(0);
    expect(float.drawn).to.equal(float.count);
    expect(binary.count).to.equal(float.count);
    expect(binary.blackAndWhite, 'binary maps holding both +1 and -1').to.be.greaterThan(0);
    expect(sums.drawn).to.equal(1);
    expect(maps.bits).to.be.greaterThan(0);
    const m = /taps inside the image: (-?\d+)\. The engine computed (-?\d+)\./.exec(maps.worked);
    expect(m, maps.worked.slice(0, 200)).to.not.equal(null);
    expect(m![1]).to.equal(m![2]);
    const screenshot = process.env.BNEXT_UPDATE_FIGURES === '1' ? FIGURE : join(dir, 'demo.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).to.be.below(400_000);
  });

  it('refuses a broken model file, and a model for colour images, with a visible message and keeps working', async () => {
    const input = (await page.$('#model-file')) as unknown as { uploadFile(path: string): Promise<void> };
    const broken = join(dir, 'broken.bnx');
    writeFileSync(broken, Buffer.from('this is not a bnx model'));
    await input.uploadFile(broken);
    await page.waitForSelector('#message.shown');
    expect(await page.$eval('#message', (m) => m.textContent ?? '')).to.match(/^Cannot use broken\.bnx: broken\.bnx: .+The page keeps model\/digits\.bnx\.$/);
    expect(await page.$eval('#message', (m) => getComputedStyle(m).display)).to.not.equal('none');
    expect(await page.$eval('#prediction', (p) => p.textContent)).to.match(/Packed engine: \d/);

    const colour = createModel('bnext', { baseWidth: 8, stages: [1, 0, 0, 0], numClasses: 10, inChannels: 3, seed: 0 });
    setTemperature(colour, 1e-8);
    const rgb = join(dir, 'rgb.bnx');
    writeFileSync(rgb, serializeBnx(bnxContentsOf(colour.eval())));
    await input.uploadFile(rgb);
    await page.waitForFunction(() => (document.getElementById('message')!.textContent ?? '').includes('rgb.bnx'));
    expect(await page.$eval('#message', (m) => m.textContent ?? '')).to.include('rgb.bnx: this page feeds one-channel digits; the model reads 3 channels');
  });
});
