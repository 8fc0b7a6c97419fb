/**
 * The page: draw a digit, classify it with the packed XNOR engine of a .bnx model, and look
 * inside. Everything computes through bnext's browser-safe core ('bnext', src/index.ts):
 *
 *   drawing --digitFromDrawing--> [1, 1, 24, 24] --engine.trace--> logits, and per binary
 *   convolution its input, packed signs, packed weights and integer sums (paper Sec. 3.1)
 *                                                --float model--> logits of the same weights
 *
 * The packed engine and the float model compute the same function (docs/conventions.md):
 * their top-5 bars agree, which is the point of showing them side by side.
 */
import {
  type BinaryConvTrace, type BNextModel, floatModelOfBnx, noGrad, packedModelFromContents, packedSign, parseBnx,
  type PackedModel, type PackedTrace, Tensor,
} from 'bnext';
import { DIGIT_SIZE, digitFromDrawing } from './digit-image';
import { bitString, hexWord, workOutput, type WorkedOutput } from './worked-example';
import { channel, drawMap, el, topFiveBars } from './views';

/** The model the page opens with (demo/model/README.md says how it was trained). */
const MODEL_URL = 'model/digits.bnx';
/** Channels shown per layer. */
const SHOWN_CHANNELS = 8;

/** A loaded model: the packed engine and the float model of the same weights. */
interface Network {
  name: string;
  engine: PackedModel;
  float: BNextModel;
}

/** Everything the page shows about one drawing. */
interface Reading {
  pixels: Float32Array;
  trace: PackedTrace;
  floatLogits: Float32Array;
}

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
};

const drawCanvas = byId<HTMLCanvasElement>('draw');
const message = byId<HTMLDivElement>('message');
const layerSelect = byId<HTMLSelectElement>('layer');
const channelInput = byId<HTMLInputElement>('channel');

let network: Network | null = null;
let reading: Reading | null = null;
/** The output pixel worked out (of the chosen layer and channel); null: the map's centre. */
let chosen: { oy: number; ox: number } | null = null;

/** A visible refusal (a bad model file, a failed run): the page stays usable. */
function showError(text: string): void {
  message.textContent = text;
  message.classList.add('shown');
}

function clearError(): void {
  message.textContent = '';
  message.classList.remove('shown');
}

/**
 * A .bnx model the page can run, or an error naming why not: unreadable bytes (parseBnx says
 * what is wrong), a model that does not read one-channel 24x24 digits.
 */
function loadNetwork(bytes: Uint8Array, name: string): Network {
  const contents = parseBnx(bytes, name);
  if (contents.config.inChannels !== 1) {
    throw new Error(`${name}: this page feeds one-channel digits; the model reads ${contents.config.inChannels} channels`);
  }
  const engine = packedModelFromContents(contents, name);
  const float = floatModelOfBnx(contents, name).eval();
  // A model that cannot take a 24x24 digit is refused now, not at the first stroke.
  engine.run(new Tensor(new Float32Array(DIGIT_SIZE * DIGIT_SIZE), [1, 1, DIGIT_SIZE, DIGIT_SIZE]));
  return { name, engine, float };
}

function useNetwork(next: Network): void {
  network = next;
  byId('model-name').textContent = `Model: ${next.name}, ${next.engine.binaryWeights.size} binary convolutions, ${next.engine.config.numClasses} classes.`;
  layerSelect.replaceChildren(...[...next.engine.binaryWeights.keys()].map((key) => {
    const option = el('option', key.replace(/\.binary_conv\.weight$/, ''));
    option.value = key;
    return option;
  }));
  classify();
}

// ---- drawing -----------------------------------------------------------------------------

function setUpDrawing(): void {
  const ctx = drawCanvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas in this browser');
  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, drawCanvas.width, drawCanvas.height);
  };
  clear();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 18;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  let drawing = false;
  const at = (e: PointerEvent): [number, number] => {
    const r = drawCanvas.getBoundingClientRect();
    return [(e.clientX - r.left) * (drawCanvas.width / r.width), (e.clientY - r.top) * (drawCanvas.height / r.height)];
  };
  drawCanvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    drawCanvas.setPointerCapture(e.pointerId);
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  drawCanvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = at(e);
    ctx.lineTo(x, y);
    ctx.stroke();
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    classify();
  };
  drawCanvas.addEventListener('pointerup', end);
  drawCanvas.addEventListener('pointercancel', end);
  byId('clear').addEventListener('click', () => {
    clear();
    classify();
  });
}

/** The drawing's ink: its red channel (white strokes on black). */
function inkOfDrawing(): Uint8Array {
  const ctx = drawCanvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas in this browser');
  const rgba = ctx.getImageData(0, 0, drawCanvas.width, drawCanvas.height).data;
  const ink = new Uint8Array(drawCanvas.width * drawCanvas.height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i];
  return ink;
}

// ---- classifying ---------------------------------------------------------------------------

function classify(): void {
  if (!network) return;
  const digit = digitFromDrawing(inkOfDrawing(), drawCanvas.width, drawCanvas.height);
  const prediction = byId('prediction');
  if (!digit) {
    reading = null;
    prediction.textContent = 'Draw a digit in the black square.';
    delete prediction.dataset.packedLogits;
    delete prediction.dataset.floatLogits;
    for (const id of ['packed-top5', 'float-top5', 'layers', 'weight-bits', 'worked']) byId(id).replaceChildren();
    return;
  }
  try {
    const x = new Tensor(digit.pixels, [1, 1, DIGIT_SIZE, DIGIT_SIZE]);
    const trace = network.engine.trace(x);
    const floatLogits = noGrad(() => network!.float.call(x)).data;
    reading = { pixels: digit.pixels, trace, floatLogits };
  } catch (e) {
    showError(`Could not run ${network.name}: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const packedLogits = reading.trace.logits.data;
  const top1 = (l: Float32Array): number => l.indexOf(Math.max(...l));
  prediction.textContent = `Packed engine: ${top1(packedLogits)}, float network: ${top1(reading.floatLogits)}.`;
  // For the browser spec (and the curious): the exact logits each network gave.
  prediction.dataset.packedLogits = JSON.stringify(Array.from(packedLogits));
  prediction.dataset.floatLogits = JSON.stringify(Array.from(reading.floatLogits));
  drawMap(byId<HTMLCanvasElement>('input'), digit.pixels, DIGIT_SIZE, DIGIT_SIZE, 5, 'ink');
  topFiveBars(byId('packed-top5'), packedLogits);
  topFiveBars(byId('float-top5'), reading.floatLogits);
  showLayers(reading.trace);
  showChosenLayer();
}

// ---- the layers ------------------------------------------------------------------------------

/** Each binary convolution's input: input + shift in grey, above the signs the engine packed. */
function showLayers(trace: PackedTrace): void {
  const sections = [...trace.binaryConvs].map(([key, conv]) => {
    const [, c, h, w] = conv.input.shape;
    const section = el('div');
    section.append(el('h3', `${key.replace(/\.binary_conv\.weight$/, '')}: ${c} channels, ${h} x ${w}`));
    const maps = el('div', '', 'maps');
    const scale = Math.max(2, Math.floor(48 / h));
    for (let k = 0; k < Math.min(c, SHOWN_CHANNELS); k++) {
      const shifted = Float32Array.from(channel(conv.input.data, k, h, w), (v) => v + conv.shift[k]);
      const signs = Float32Array.from({ length: h * w }, (_, i) => packedSign(conv.packed, 0, k, Math.floor(i / w), i % w));
      const floatMap = el('canvas', '', 'float-map');
      const binaryMap = el('canvas', '', 'binary-map');
      drawMap(floatMap, shifted, w, h, scale, 'signed');
      drawMap(binaryMap, signs, w, h, scale, 'signs');
      const pair = el('div', '', 'pair');
      pair.append(floatMap, binaryMap, el('span', `ch ${k}`));
      maps.append(pair);
    }
    section.append(maps);
    return section;
  });
  byId('layers').replaceChildren(...sections);
}

/** The chosen layer's integer map for the chosen channel, its weight's bits, the worked output. */
function showChosenLayer(): void {
  if (!reading) return;
  const conv = reading.trace.binaryConvs.get(layerSelect.value);
  if (!conv) return;
  const [, cout, oh, ow] = conv.sums.shape;
  channelInput.max = String(cout - 1);
  const co = Math.min(Math.max(0, Math.floor(Number(channelInput.value) || 0)), cout - 1);
  channelInput.value = String(co);
  if (!chosen || chosen.oy >= oh || chosen.ox >= ow) chosen = { oy: oh >> 1, ox: ow >> 1 };
  const sums = byId<HTMLCanvasElement>('sums');
  const scale = Math.max(4, Math.floor(120 / oh));
  drawMap(sums, channel(conv.sums.data, co, oh, ow), ow, oh, scale, 'signed');
  const ctx = sums.getContext('2d');
  if (ctx) {
    ctx.strokeStyle = '#e53';
    ctx.lineWidth = 2;
    ctx.strokeRect(chosen.ox * scale + 1, chosen.oy * scale + 1, scale - 2, scale - 2);
  }
  const worked = workOutput(conv, co, chosen.oy, chosen.ox);
  showWeightBits(worked);
  showWorked(worked, conv);
}

/** The chosen output channel's weight: per tap, its words of sign bits (bit 1 = -1). */
function showWeightBits(worked: WorkedOutput): void {
  const table = el('table');
  table.append(row('th', ['tap (ky, kx)', 'word', `bits (channel ${Math.min(31, worked.channels - 1)} ... 0)`, 'hex']));
  for (const tap of worked.taps) {
    for (const word of tap.words) {
      table.append(row('td', [`(${tap.ky}, ${tap.kx})`, `${word.j}`, bitString(word.weight, word.channels), hexWord(word.weight)], 2));
    }
  }
  byId('weight-bits').replaceChildren(el('h3', `weight of output channel ${worked.co}: ${worked.kernelSize} x ${worked.kernelSize} taps x ${worked.channels} channels, bit 1 = −1`), table);
}

/** out[co, oy, ox] from the words: Σ over the taps inside the image of C − 2·popcount(a XOR w). */
function showWorked(w: WorkedOutput, conv: BinaryConvTrace): void {
  const table = el('table');
  table.append(row('th', ['tap', 'input pixel', 'word', 'activation a', 'weight w', 'a XOR w', 'popcount', 'C − 2·popcount']));
  for (const tap of w.taps) {
    for (const word of tap.words) {
      const cells = [`(${tap.ky}, ${tap.kx})`, `(${tap.iy}, ${tap.ix})`, `${word.j}`,
        bitString(word.activation, word.channels), bitString(word.weight, word.channels), bitString(word.xor, word.channels),
        `${word.popcount}`, tap.inside ? `${word.channels} − 2·${word.popcount} = ${word.dot}` : 'padding: adds 0'];
      const tr = row('td', cells, [3, 4, 5]);
      if (!tap.inside) tr.className = 'padding';
      table.append(tr);
    }
  }
  const lines = [
    `Output [channel ${w.co}, row ${w.oy}, column ${w.ox}] of ${layerSelect.value.replace(/\.binary_conv\.weight$/, '')} (stride ${w.stride}, ${w.channels} input channels).`,
    `Sum over the ${w.taps.filter((t) => t.inside).length} taps inside the image: ${w.sum}. The engine computed ${w.engine}.`,
    `The fast kernel reads the padding words too (all +1) and corrects by a constant: ${w.base} − 2·${w.popcountAll} = ${w.fast}` +
      (w.zerosInvolved ? ' (an exact zero is involved here: the engine corrects for it separately).' : '.'),
    `BatchNorm and PReLU then take this integer on in float32; the next layer sees only its sign. The input it read was ${conv.input.shape.join(' x ')}.`,
  ];
  byId('worked').replaceChildren(...lines.map((l) => el('p', l)), table);
}

function row(cell: 'td' | 'th', texts: string[], bitColumns: number | number[] = []): HTMLTableRowElement {
  const bits = new Set(Array.isArray(bitColumns) ? bitColumns : [bitColumns]);
  const tr = el('tr');
  texts.forEach((t, i) => tr.append(el(cell, t, cell === 'td' && bits.has(i) ? 'bits' : '')));
  return tr;
}

// ---- start -----------------------------------------------------------------------------------

function setUpControls(): void {
  layerSelect.addEventListener('change', () => {
    chosen = null;
    showChosenLayer();
  });
  channelInput.addEventListener('change', () => showChosenLayer());
  byId<HTMLCanvasElement>('sums').addEventListener('click', (e) => {
    if (!reading) return;
    const conv = reading.trace.binaryConvs.get(layerSelect.value);
    if (!conv) return;
    const canvas = e.currentTarget as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const [, , oh, ow] = conv.sums.shape;
    chosen = { oy: Math.floor(((e.clientY - r.top) / r.height) * oh), ox: Math.floor(((e.clientX - r.left) / r.width) * ow) };
    showChosenLayer();
  });
  byId<HTMLInputElement>('model-file').addEventListener('change', async (e) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      const next = loadNetwork(new Uint8Array(await file.arrayBuffer()), file.name);
      clearError();
      useNetwork(next);
    } catch (err) {
      showError(`Cannot use ${file.name}: ${err instanceof Error ? err.message : String(err)}. The page keeps ${network ? network.name : 'no model'}.`);
    }
  });
}

async function start(): Promise<void> {
  setUpDrawing();
  setUpControls();
  try {
    const response = await fetch(MODEL_URL);
    if (!response.ok) throw new Error(`${MODEL_URL}: HTTP ${response.status}`);
    useNetwork(loadNetwork(new Uint8Array(await response.arrayBuffer()), MODEL_URL));
  } catch (e) {
    showError(`Cannot load the page's model: ${e instanceof Error ? e.message : String(e)}. Load a .bnx file with the button.`);
  }
  document.body.dataset.ready = 'true';
}

void start();
