/**
 * The protobuf encoder against the wire format's published examples (varint 150 and 300, a
 * negative int64 as ten bytes, a fixed32 float, a nested message's length prefix), and an ONNX
 * model's first fields. The whole encoder is checked end to end by python3-onnx's checker at
 * fixture time and by onnxruntime-web in spec/onnx/onnxruntime.spec.ts.
 */
import { expect } from 'chai';
import { ProtoWriter } from '../../src/onnx/protobuf';
import { encodeModel, IR_VERSION, OPSET } from '../../src/onnx/onnx-model';

const bytes = (w: ProtoWriter): number[] => [...w.finish()];

describe('onnx: protobuf encoder', () => {
  it('writes varints, negative int64, floats, strings and nested messages as the wire format says', () => {
    expect(bytes(new ProtoWriter().int(1, 150))).to.deep.equal([0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().int(2, 300))).to.deep.equal([0x10, 0xac, 0x02]);
    expect(bytes(new ProtoWriter().int(1, -1))).to.deep.equal([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytes(new ProtoWriter().float(2, 1))).to.deep.equal([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytes(new ProtoWriter().string(2, 'testing'))).to.deep.equal([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    expect(bytes(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)))).to.deep.equal([0x1a, 0x03, 0x08, 0x96, 0x01]);
    expect(() => new ProtoWriter().int(1, 1.5)).to.throw(/field 1: 1.5 is not an integer/);
  });

  it('starts a ModelProto with its IR version and opset', () => {
    const model = encodeModel({ name: 'g', doc: '', nodes: [], initializers: [], inputs: [], outputs: [] }, '0', '');
    expect([...model.subarray(0, 2)]).to.deep.equal([0x08, IR_VERSION]);
    // opset_import (field 8): {domain "" (field 1), version (field 2)}
    expect([...model.subarray(2, 8)]).to.deep.equal([0x42, 0x04, 0x0a, 0x00, 0x10, OPSET]);
  });
});
