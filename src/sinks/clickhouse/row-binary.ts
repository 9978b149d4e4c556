import { daysFromCivil } from '../../domain/time.js';
import type { Row } from './rows.js';

/**
 * RowBinary encoding of our rows, for inserts into a server.
 *
 * Why not JSON there: ClickHouse 18.16 parses decimal text into Float64 with up to one ulp of error
 * (-16.331999999772 is stored as -16.331999999772002), in every text format. RowBinary carries the eight
 * bytes of the double, so coordinates and distances come back exactly as the engine wrote them. It is also
 * the cheapest format for the server to read. (chDB parses JSON exactly and receives text only, so the
 * embedded store keeps JSONEachRow.)
 *
 * Handles exactly the types of our schema: String, UInt64, Float64, DateTime('UTC'), Enum8(...),
 * Nullable(String | Float64 | UInt64), Array(String | UInt64).
 */

type Encoder = (w: Writer, v: unknown) => void;

class Writer {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  /** A UInt64 below 2^53, without BigInt. */
  u64n(v: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(v % 4294967296, this.pos);
    this.buf.writeUInt32LE(Math.floor(v / 4294967296), this.pos + 4);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function fail(type: string, v: unknown): never {
  throw new Error(`cannot encode ${JSON.stringify(v)} as ${type}`);
}

function encoderFor(type: string): Encoder {
  const nullable = /^Nullable\((.*)\)$/.exec(type);
  if (nullable) {
    const inner = encoderFor(nullable[1]);
    return (w, v) => {
      if (v === null || v === undefined) return w.u8(1);
      w.u8(0);
      inner(w, v);
    };
  }
  const array = /^Array\((.*)\)$/.exec(type);
  if (array) {
    const inner = encoderFor(array[1]);
    return (w, v) => {
      if (!Array.isArray(v)) fail(type, v);
      w.varint(v.length);
      for (const x of v) inner(w, x);
    };
  }
  const enumMatch = /^Enum8\((.*)\)$/.exec(type);
  if (enumMatch) {
    const values = new Map<string, number>();
    for (const m of enumMatch[1].matchAll(/'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)/g)) values.set(m[1], Number(m[2]));
    return (w, v) => {
      const n = values.get(String(v));
      if (n === undefined) fail(type, v);
      w.u8(n & 0xff);
    };
  }
  switch (type) {
    case 'String':
      return (w, v) => w.string(typeof v === 'string' ? v : fail(type, v));
    case 'UInt64':
      return (w, v) => {
        // Most values (counts, epoch ms) fit a double exactly: skip BigInt for them.
        if (typeof v === 'string' && v.length <= 15 && /^\d+$/.test(v)) return w.u64n(Number(v));
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return w.u64n(v);
        w.u64(BigInt(typeof v === 'string' || typeof v === 'bigint' ? v : fail(type, v)));
      };
    case 'Float64':
      return (w, v) => w.f64(typeof v === 'number' ? v : fail(type, v));
    case "DateTime('UTC')":
      return (w, v) => {
        // Rows carry 'YYYY-MM-DD hh:mm:ss' in UTC.
        const s = typeof v === 'string' && v.length === 19 ? v : fail(type, v);
        const days = daysFromCivil(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10)));
        const secs = days * 86400 + Number(s.slice(11, 13)) * 3600 + Number(s.slice(14, 16)) * 60 + Number(s.slice(17, 19));
        if (!Number.isFinite(secs)) fail(type, v);
        w.u32(secs);
      };
    default:
      throw new Error(`RowBinary: unsupported column type ${type}`);
  }
}

const cache = new Map<string, Encoder[]>();

/** Encode rows as RowBinary in the order of `columns`. */
export function encodeRowBinary(columns: readonly (readonly [string, string])[], rows: readonly Row[]): Buffer {
  const key = columns.map(([n, t]) => `${n} ${t}`).join(',');
  let encoders = cache.get(key);
  if (!encoders) cache.set(key, (encoders = columns.map(([, t]) => encoderFor(t))));
  const w = new Writer();
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i][0];
      try {
        encoders[i](w, row[name]);
      } catch (err) {
        throw new Error(`column ${name}: ${(err as Error).message}`);
      }
    }
  }
  return w.result();
}
