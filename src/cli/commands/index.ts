/**
 * Every `bnext` command, in the order `bnext --help` lists them. A command's module (and
 * everything it imports) loads only when that command runs, so `bnext --help` reads this list
 * and nothing else; the name and summary here are the command's own (spec/cli/commands.spec.ts
 * checks that they agree).
 */
import type { Command } from '../command';

/** A command as the dispatcher sees it before loading it. */
export interface CommandEntry {
  name: string;
  /** One line for `bnext --help`: the command's `summary`. */
  summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'recipe', summary: 'the default recipe (npm start): teachers, KC, a distilled fully binary BNext on the digits', load: async () => (await import('./recipe')).recipe },
  { name: 'train', summary: 'train a BNext (or a teacher CNN) on the embedded digits, with optional distillation', load: async () => (await import('./train')).trainCommand },
  { name: 'eval', summary: 'top-1/top-5/loss of a model on the held-out digits or an ImageFolder split', load: async () => (await import('./evaluate')).evalCommand },
  { name: 'predict', summary: 'top-5 classes with probabilities for JPEG/PNG images', load: async () => (await import('./predict')).predict },
  { name: 'forward', summary: 'run a model on an .npy batch and write logits (and gradients, activations)', load: async () => (await import('./forward')).forward },
  { name: 'stats', summary: 'parameter, BOP, FLOP and size counts of an architecture (paper Table 2)', load: async () => (await import('./stats')).stats },
  { name: 'kc', summary: "Knowledge Complexity of a teacher (paper Eq. 3) or the paper's Table 8", load: async () => (await import('./kc')).kc },
  { name: 'preprocess', summary: 'run an official preprocessing pipeline on images and write the float32 NCHW batch (.npy)', load: async () => (await import('./preprocess')).preprocess },
  { name: 'pack', summary: 'write a fully binary model as a .bnx file for the packed XNOR engine', load: async () => (await import('./pack')).pack },
  { name: 'convert', summary: 'write a torch.save checkpoint (.pth/.pth.tar/.pt) as safetensors', load: async () => (await import('./convert')).convert },
  { name: 'step', summary: 'run whole training steps (loss, backward, clipping, AdamW) on one batch and write the state after', load: async () => (await import('./step')).step },
  { name: 'export', summary: 'write a model in evaluation mode as a standard ONNX graph (bnext export onnx)', load: async () => (await import('./export-onnx')).exportCommand },
  { name: 'conformance', summary: "export a conformance bundle for other backends, or check a backend's results against one", load: async () => (await import('./conformance')).conformance },
  { name: 'landscape', summary: 'the loss landscape around trained weights (paper Fig. 2): heat map, .npy grid, roughness', load: async () => (await import('./landscape')).landscape },
];
