/**
 * `bnext export onnx`: a model in evaluation mode as a standard ONNX graph (opset 13), binary
 * convolutions as Add -> Sign -> Pad(0) -> Conv (src/onnx/; docs/golden-testing.md, "ONNX"),
 * from a state_dict with the same architecture options as `bnext forward`, or from a .bnx file.
 */
import { existsSync } from 'node:fs';
import type { Command } from '../command';
import { parseArgs, requireOption, UsageError } from '../args';
import { ARCH_FLAGS, ARCH_USAGE, ARCH_VALUED, archOptionsFrom } from '../arch-options';
import { resolveConfig } from '../../models/factory';
import { loadModel, stateDictKeyUsage, WEIGHTS_VALUED, weightsOptionsFrom } from '../model-io';
import { readBnx, isBnxFile } from '../../engine/bnx-file';
import { floatModelOfBnx, onnxModel, OPSET } from '../../onnx/index';
import { writeFileAtomic } from '../../io/atomic';
import { packageVersion } from '../package-version';

const USAGE = `usage: bnext export onnx --arch A [options] --weights W.safetensors --out M.onnx
       bnext export onnx --weights M.bnx --out M.onnx

Writes the evaluation-mode model as a standard ONNX graph (opset ${OPSET}, IR version 7): input
'input' [N, C, H, W] float32, output 'logits' [N, classes]. Each binary convolution is
Add(move.bias) -> Sign -> Pad(constant 0) -> Conv with the binarized weight: ONNX Sign(0) = 0 as in
bnext, and the padding of the +-1 map is an explicit 0, so the graph computes bnext's function.
${ARCH_USAGE}
  --weights W            state_dict (safetensors or a torch.save .pth/.pth.tar/.pt, PyTorch names), or
                         a .bnx file from bnext pack (its architecture is in the file; quantized
                         .bnx files are refused)
${stateDictKeyUsage(25)}
  --out M                the .onnx file to write (atomically)`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model in evaluation mode as a standard ONNX graph (bnext export onnx)',
  usage: USAGE,
  async run(argv) {
    const [format, ...rest] = argv;
    if (format !== 'onnx') throw new UsageError(`export: the format must be onnx (bnext export onnx ...), got ${format === undefined ? 'nothing' : `'${format}'`}`);
    const args = parseArgs(rest, [...ARCH_VALUED, 'weights', 'out', ...WEIGHTS_VALUED], [...ARCH_FLAGS], 'export onnx');
    const weights = requireOption(args, 'weights', 'export onnx');
    const out = requireOption(args, 'out', 'export onnx');
    if (!existsSync(weights)) throw new UsageError(`export onnx: --weights ${weights}: no such file`);
    let model;
    if (isBnxFile(weights)) {
      if (args.options.has('arch')) throw new UsageError(`export onnx: ${weights} is a .bnx file, which carries its architecture: give no --arch`);
      model = floatModelOfBnx(readBnx(weights), weights);
    } else {
      model = loadModel(resolveConfig(archOptionsFrom(args, 'export onnx')), weights, weightsOptionsFrom(args));
    }
    model.eval();
    const bytes = onnxModel(model, packageVersion());
    writeFileAtomic(out, bytes);
    console.log(`wrote ${out}: ${model.config.arch}, ONNX opset ${OPSET}, ${(bytes.length / 2 ** 20).toFixed(2)} MiB`);
    return 0;
  },
};
