/**
 * The decoded result of an input as a file, for fuzz/reference.py to compare with PIL or
 * PyTorch: an image as a uint8 [H, W, 3] .npy, a state_dict as safetensors.
 */
import { decodeImage } from '../src/data/decode';
import { serializeNpy } from '../src/io/npy';
import { serializeSafetensors } from '../src/io/safetensors';
import { parseTorchStateDict } from '../src/io/torch/checkpoint';

export function outputFile(parser: string, bytes: Uint8Array, source: string): Uint8Array | undefined {
  if (parser === 'png' || parser === 'jpeg') {
    const img = decodeImage(bytes, source);
    return serializeNpy({ dtype: 'U8', shape: [img.height, img.width, 3], data: img.data });
  }
  if (parser === 'pth') return serializeSafetensors(parseTorchStateDict(bytes, source).tensors);
  return undefined;
}
