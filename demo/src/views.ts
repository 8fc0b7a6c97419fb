/**
 * Drawing on the page: feature maps as pixels, top-5 bars, small DOM helpers. Plain DOM, no
 * framework: each function takes data and returns (or fills) an element.
 */

/** A new element with text or children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/**
 * How a map's values become greys: 'signed' from black (the most negative value) to white (the
 * most positive) with 0 at mid-grey; 'ink' from black (0) to white (1), for the input digit;
 * 'signs' white for +1 and black for -1.
 */
export type MapStyle = 'signed' | 'ink' | 'signs';

/** A w x h map (one channel, row-major) drawn `scale` times bigger on `canvas`. */
export function drawMap(canvas: HTMLCanvasElement, values: ArrayLike<number>, w: number, h: number, scale: number, style: MapStyle): void {
  canvas.width = w * scale;
  canvas.height = h * scale;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  let extent = 1e-12;
  for (let i = 0; i < w * h; i++) extent = Math.max(extent, Math.abs(values[i]));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[y * w + x];
      const grey = style === 'signs' ? (v < 0 ? 0 : 255)
        : style === 'ink' ? Math.round(255 * Math.min(1, Math.max(0, v)))
        : Math.round(127.5 + 127.5 * (v / extent));
      ctx.fillStyle = `rgb(${grey},${grey},${grey})`;
      ctx.fillRect(x * scale, y * scale, scale, scale);
    }
  }
}

/** Channel `c` of an [N=1, C, H, W] array. */
export function channel(data: Float32Array, c: number, h: number, w: number): Float32Array {
  return data.subarray(c * h * w, (c + 1) * h * w);
}

/** Softmax probabilities of one row of logits. */
export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** The five most likely classes as bars (class, probability, logit). */
export function topFiveBars(container: HTMLElement, logits: ArrayLike<number>): void {
  const p = softmax(logits);
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a]).slice(0, 5);
  container.replaceChildren(...order.map((k) => {
    const row = el('div', '', 'bar');
    const fill = el('span', '', 'fill');
    fill.style.width = `${Math.max(1, Math.round(160 * p[k]))}px`;
    row.append(el('span', `${k}`), fill, el('span', `${(100 * p[k]).toFixed(1)}%  (logit ${logits[k].toFixed(2)})`));
    return row;
  }));
}
