/**
 * The image every data module passes around: 8-bit RGB, row-major height x width x channel
 * ("HWC"), as PIL holds an image after `convert('RGB')`. Decoders produce it, transforms map it to
 * a new one, and `toNormalizedCHW` (transforms.ts) turns it into the float CHW tensor a model eats.
 *
 * Kernels work on the flat `data` array for speed; `imageView` gives the same pixels as an
 * `ndarray` for readers and callers who prefer indexed access.
 */
import ndarray from 'ndarray';

/** An 8-bit RGB image, pixels interleaved row by row. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes: pixel (x, y) channel c is at (y * width + x) * 3 + c. */
  readonly data: Uint8Array;
}

/**
 * The most pixels an image may have, decoded or made by a transform: 100 megapixels, 300 MB as
 * 8-bit RGB (jpeg-js's own default cap; PIL refuses above 179 MP). PNG and JPEG decoding check it
 * from the file's header, before anything is allocated, so a small file that claims a huge
 * image (a PNG of zeros compresses ~1000:1) is refused at once.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Why `width` x `height` cannot be an image (not positive integers, or too many pixels), or null. */
export function imageSizeProblem(width: number, height: number): string | null {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    return `width and height must be positive integers, got ${width}x${height}`;
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    return `${width}x${height} is ${width * height} pixels, more than the limit of ${MAX_IMAGE_PIXELS} (${MAX_IMAGE_PIXELS / 1e6} megapixels)`;
  }
  return null;
}

/** An image over `data` (or a new black one), after checking that the sizes agree. */
export function createImage(width: number, height: number, data?: Uint8Array): RgbImage {
  const problem = imageSizeProblem(width, height);
  if (problem) throw new Error(`image: ${problem}`);
  const size = width * height * 3;
  if (data && data.length !== size) {
    throw new Error(`image: ${width}x${height} RGB needs ${size} bytes, data has ${data.length}`);
  }
  return { width, height, data: data ?? new Uint8Array(size) };
}

/** An image of one colour. */
export function filledImage(width: number, height: number, rgb: readonly [number, number, number]): RgbImage {
  const img = createImage(width, height);
  for (let i = 0; i < img.data.length; i += 3) {
    img.data[i] = rgb[0];
    img.data[i + 1] = rgb[1];
    img.data[i + 2] = rgb[2];
  }
  return img;
}

/** The pixels as an ndarray of shape [height, width, 3], sharing storage. */
export function imageView(img: RgbImage): ndarray.NdArray<Uint8Array> {
  return ndarray(img.data, [img.height, img.width, 3]);
}

/** An image from an ndarray of shape [height, width, 3] (any strides), copied into HWC order. */
export function imageFromView(view: ndarray.NdArray<Uint8Array>): RgbImage {
  if (view.shape.length !== 3 || view.shape[2] !== 3) {
    throw new Error(`image: expected an ndarray of shape [height, width, 3], got [${view.shape.join(', ')}]`);
  }
  const [height, width] = view.shape;
  const img = createImage(width, height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) img.data[o++] = view.get(y, x, c);
    }
  }
  return img;
}

/** "WxH", as messages name image sizes. */
export function describeSize(img: RgbImage): string {
  return `${img.width}x${img.height}`;
}
