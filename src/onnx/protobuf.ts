/**
 * A minimal Protocol Buffers encoder: the wire format's varints, 32-bit floats and
 * length-delimited fields, enough to write the handful of ONNX messages a model needs
 * (onnx-model.ts). Nested messages are written to their own writer first, since a field's
 * length comes before its bytes; large byte fields (tensor data) are kept by reference until
 * `finish` concatenates everything once.
 *
 * Wire types: 0 varint (int32, int64, enums), 2 length-delimited (bytes, strings, messages),
 * 5 fixed 32-bit (float). A field's key is (field number << 3) | wire type, as a varint.
 * Repeated scalars are written one key per element (proto2's unpacked encoding, which ONNX's
 * proto2 schema declares and every parser accepts).
 */

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.size + this.pending.length;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.size += this.pending.length;
    this.pending = [];
  }

  private byte(b: number): void {
    this.pending.push(b);
  }

  /** An unsigned varint; negative numbers as their 64-bit two's complement (10 bytes). */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`protobuf: field ${field}: ${value} is not an integer`);
    this.key(field, VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.byte(x);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.flush();
    this.chunks.push(value);
    this.size += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, m: ProtoWriter): this {
    m.flush();
    this.key(field, LENGTH_DELIMITED);
    this.varint(m.size);
    this.flush();
    for (const c of m.chunks) this.chunks.push(c);
    this.size += m.size;
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
