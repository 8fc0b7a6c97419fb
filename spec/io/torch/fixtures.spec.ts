/**
 * The torch.save files PyTorch 1.13 wrote (fixtures/torch, both formats): every tensor bit for bit
 * as PyTorch saved it, the checkpoint's other entries reported, and the malicious files refused by
 * name, as PyTorch's own weights-only load refuses them (recorded in the manifest).
 */
import { expect } from 'chai';
import { parseTorchStateDict } from '../../../src/io/torch/checkpoint';
import { TorchFileError, UnsafePickleError } from '../../../src/io/torch/errors';
import { expectedTensors, expectSameTensors, manifest, torchFixtureBytes } from './helpers';

const withPrefix = (tensors: ReturnType<typeof expectedTensors>, prefix: string) => new Map([...tensors].map(([k, v]) => [prefix + k, v]));

describe('io/torch: files written by PyTorch', () => {
  for (const fixture of manifest.files.filter((f) => f.expected)) {
    it(`${fixture.file} (${fixture.format}) gives every tensor bit for bit`, () => {
      const sd = parseTorchStateDict(torchFixtureBytes(fixture.file), fixture.file);
      expect(sd.format).to.equal(fixture.format);
      expect(sd.stateDictKey).to.equal(fixture.state_dict_key);
      expect(sd.ignoredKeys).to.deep.equal(fixture.ignored_keys);
      const wanted = expectedTensors(fixture.expected!);
      // The checkpoints hold DataParallel's names; the expected file the module's own.
      expectSameTensors(sd.tensors, sd.stateDictKey ? withPrefix(wanted, 'module.') : wanted, fixture.file);
    });
  }

  for (const fixture of manifest.files.filter((f) => f.refused_global)) {
    it(`${fixture.file} (${fixture.format}) is refused, naming ${fixture.refused_global}`, () => {
      expect(fixture.torch_weights_only_load).to.match(/^weights_only=True refused it/);
      let error: unknown;
      try {
        parseTorchStateDict(torchFixtureBytes(fixture.file), fixture.file);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(UnsafePickleError);
      const refusal = error as UnsafePickleError;
      expect(refusal.kind).to.equal('global');
      expect(refusal.refused).to.equal(fixture.refused_global);
      expect(refusal.message).to.include(`${fixture.file}: pickle: refused the global '${fixture.refused_global}'`);
    });
  }

  it('takes another checkpoint entry with stateDictKey, and names the keys when the entry is missing', () => {
    const bytes = torchFixtureBytes('bnext_checkpoint.pth.tar');
    expect(() => parseTorchStateDict(bytes, 'c.pth.tar', { stateDictKey: 'optimizer' }))
      .to.throw(TorchFileError, /c\.pth\.tar: checkpoint entry 'optimizer': 'state' is a dict, not a tensor/);
    expect(() => parseTorchStateDict(bytes, 'c.pth.tar', { stateDictKey: 'model' }))
      .to.throw(TorchFileError, /no 'model' entry \(its keys: epoch \(int\), train_loss \(list\), .*best_top1_acc \(float\), optimizer \(dict\), temp \(list\), alpha \(tensor \[1\] of F32\)\)/);
    expect(() => parseTorchStateDict(bytes, 'c.pth.tar', { stateDictKey: 'epoch' })).to.throw(/'epoch' is an int, not a state_dict/);
  });
});
