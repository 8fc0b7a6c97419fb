/**
 * The ONNX messages a model needs (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto; field numbers of the onnx.proto schema), built on the protobuf
 * encoder (protobuf.ts), and a small graph builder that names every value.
 */
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType values. */
export const FLOAT = 1;
export const INT64 = 7;

/** The IR version of ONNX 1.8, the release that introduced opset 13. */
export const IR_VERSION = 7;
/** The ONNX opset the exported graphs use. */
export const OPSET = 13;

export type AttributeValue = number | number[] | string | { float: number };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: Record<string, AttributeValue>;
  doc?: string;
}

export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A dimension: a size, or a name for a size given at run time (the batch, the image size). */
export type Dim = number | string;

export interface GraphSpec {
  name: string;
  doc: string;
  nodes: NodeSpec[];
  initializers: Initializer[];
  inputs: { name: string; dims: Dim[] }[];
  outputs: { name: string; dims: Dim[] }[];
}

function tensorProto(t: Initializer): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.data instanceof Float32Array ? FLOAT : INT64);
  w.string(8, t.name);
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)); // raw_data, little-endian
  return w;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'string') w.int(20, ATTR_STRING).string(4, value);
  else if (typeof value === 'number') w.int(20, ATTR_INT).int(3, value);
  else if (Array.isArray(value)) {
    w.int(20, ATTR_INTS);
    for (const v of value) w.int(8, v);
  } else w.int(20, ATTR_FLOAT).float(2, value.float);
  return w;
}

function nodeProto(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes)) w.message(5, attributeProto(k, v));
  if (n.doc) w.string(6, n.doc);
  return w;
}

function valueInfo(name: string, dims: Dim[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** The ModelProto's bytes. */
export function encodeModel(g: GraphSpec, producerVersion: string, doc: string): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, nodeProto(n));
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, tensorProto(t));
  graph.string(10, g.doc);
  for (const i of g.inputs) graph.message(11, valueInfo(i.name, i.dims));
  for (const o of g.outputs) graph.message(12, valueInfo(o.name, o.dims));
  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET))
    .string(2, 'bnext')
    .string(3, producerVersion)
    .string(6, doc)
    .message(7, graph);
  return model.finish();
}

/** Collects nodes and initializers, naming each value after the module that computes it. */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  private readonly used = new Set<string>();

  private unique(name: string): string {
    let n = name;
    for (let i = 1; this.used.has(n); i++) n = `${name}_${i}`;
    this.used.add(n);
    return n;
  }

  /** A constant tensor; returns its value name. */
  constant(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const n = this.unique(name);
    this.initializers.push({ name: n, dims, data });
    return n;
  }

  /** One node with one output, named `name`; returns the output's value name. */
  op(opType: string, name: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, doc?: string): string {
    const out = this.unique(name);
    this.nodes.push({ opType, inputs, outputs: [out], name: out, attributes, ...(doc ? { doc } : {}) });
    return out;
  }
}
