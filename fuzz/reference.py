"""Checks the fuzzer's unverified inputs against the reference implementations.

`npm run fuzz -- --parser P --count N --reference DIR` writes, for every input that bnext decoded
to something other than its seed and that no in-process reference could check, the input
(`<index>.input`) and bnext's result (`<index>.bnext.npy` for images, `.safetensors` for torch
files). This script decodes each input with:

- PNG: PIL's Image.open(f).convert('RGB'), which bnext matches pixel for pixel on valid files;
- JPEG: the same; bnext's JPEG decoder differs from libjpeg by its IDCT (at most 3 levels on the
  valid fixtures), and on corrupt data the two may conceal errors differently, so the maximum
  and mean differences are reported rather than judged;
- torch files: torch.load. These inputs passed bnext's restricted unpickler, so every global they
  name is on its allow-list (OrderedDict, the tensor-rebuild functions, storage classes,
  torch.Size): unpickling them runs nothing else. torch 1.13's weights_only=True lacks opcodes
  plain checkpoints use, so weights_only=False is used, on these files only.

Run: /usr/bin/python3 fuzz/reference.py DIR
"""
from __future__ import annotations

import collections
import json
import os
import struct
import sys

import numpy as np

ST_DTYPES = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32,
             'I16': np.int16, 'I8': np.int8, 'U8': np.uint8, 'BOOL': np.bool_}


def read_safetensors(path: str) -> dict:
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        begin, end = e['data_offsets']
        raw = body[begin:end]
        if e['dtype'] == 'BF16':
            out[name] = ('BF16', tuple(e['shape']), raw)
        else:
            out[name] = (e['dtype'], tuple(e['shape']), raw)
    return out


def check_images(folder: str) -> collections.Counter:
    from PIL import Image
    tally: collections.Counter = collections.Counter()
    worst = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.input'):
            continue
        index = name[:-len('.input')]
        ours = np.load(os.path.join(folder, f'{index}.bnext.npy'))
        try:
            with Image.open(os.path.join(folder, name)) as im:
                theirs = np.asarray(im.convert('RGB'))
        except Exception as e:  # PIL refuses what bnext decoded
            tally['PIL refuses'] += 1
            worst.append((index, f'PIL: {type(e).__name__}: {e}'))
            continue
        if theirs.shape != ours.shape:
            tally['different size'] += 1
            worst.append((index, f'PIL {theirs.shape}, bnext {ours.shape}'))
            continue
        diff = np.abs(theirs.astype(np.int16) - ours.astype(np.int16))
        if diff.max() == 0:
            tally['identical'] += 1
        elif diff.max() <= 3:
            tally['within 3 levels'] += 1
        else:
            tally['differ by more than 3'] += 1
            worst.append((index, f'max {diff.max()}, mean {diff.mean():.2f}'))
    for index, what in worst[:20]:
        print(f'    {index}: {what}')
    return tally


def check_torch(folder: str) -> collections.Counter:
    import torch
    tally: collections.Counter = collections.Counter()
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.input'):
            continue
        index = name[:-len('.input')]
        ours = read_safetensors(os.path.join(folder, f'{index}.bnext.safetensors'))
        try:
            loaded = torch.load(os.path.join(folder, name), map_location='cpu', weights_only=False)
        except Exception as e:
            tally['torch refuses'] += 1
            print(f'    {index}: torch: {type(e).__name__}: {str(e)[:200]}')
            continue
        state = loaded
        if isinstance(loaded, dict) and not all(isinstance(v, torch.Tensor) for v in loaded.values()):
            state = loaded.get('state_dict')
        if not isinstance(state, dict) or set(state) != set(ours):
            tally['different keys'] += 1
            print(f'    {index}: keys differ')
            continue
        same = True
        for key, t in state.items():
            dtype, shape, raw = ours[key]
            t = t.contiguous()
            theirs = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
            if tuple(t.shape) != shape or theirs != raw:
                same = False
                print(f'    {index}: tensor {key} differs ({tuple(t.shape)} vs {shape})')
                break
        tally['identical' if same else 'different tensors'] += 1
    return tally


def main() -> None:
    root = sys.argv[1]
    for parser in sorted(os.listdir(root)):
        folder = os.path.join(root, parser)
        if parser in ('png', 'jpeg'):
            tally = check_images(folder)
        elif parser == 'pth':
            tally = check_torch(folder)
        else:
            continue
        print(f'{parser}: ' + ', '.join(f'{k} {v}' for k, v in sorted(tally.items())))


if __name__ == '__main__':
    main()
