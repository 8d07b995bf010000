/**
 * Table-driven little-endian struct codec for the `linux/gpio.h` structs (pure: no I/O). A layout lists each
 * scalar field's offset and type once; the same table encodes and decodes. Arrays with a count field
 * (attributes) go through {@link encodeArray}/{@link decodeArray}.
 */
import { GpioFrameError } from "./errors.ts";

/** `GPIO_MAX_NAME_SIZE`: bytes of a name/label/consumer field, NUL-padded. */
export const GPIO_MAX_NAME_SIZE = 32;

/** A field type: `u32`/`u64` little-endian, or `name`, a NUL-padded string of {@link GPIO_MAX_NAME_SIZE} bytes. */
export type FieldType = "u32" | "u64" | "name";

type Scalar<F extends FieldType> = F extends "u64" ? bigint : F extends "u32" ? number : string;

/** One scalar field: the property, its byte offset in the struct, and its type. */
export type Field<T> = { [K in keyof T]-?: readonly [key: K, offset: number, type: T[K] extends bigint ? "u64" : T[K] extends number ? "u32" : T[K] extends string ? "name" : never] }[keyof T];

/** A struct's C name (for error messages), its size in bytes, and its scalar fields. */
export interface StructLayout<T> {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly Field<T>[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A DataView over exactly `bytes`. */
export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** @throws {GpioFrameError} when fewer than `size` bytes remain at `offset` (or `offset` is not an index) */
export function need(bytes: Uint8Array, offset: number, size: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || bytes.length - offset < size) {
    throw new GpioFrameError(`${what} needs ${size} bytes at offset ${offset}, have ${Math.max(0, bytes.length - offset)}`, offset);
  }
}

/** @throws {RangeError} when `v` is not an unsigned integer of `bits` bits */
export function checkUnsigned(v: number | bigint, bits: 32 | 64, what: string): void {
  const ok = typeof v === "bigint" ? v >= 0n && v < 1n << BigInt(bits) : Number.isInteger(v) && v >= 0 && v < 2 ** bits;
  if (!ok) throw new RangeError(`${what} must be a u${bits}, got ${String(v)}`);
}

/** @throws {RangeError} on text over 31 bytes (one is kept for the NUL, as the kernel copies with strscpy) or with a NUL */
function writeName(out: Uint8Array, at: number, text: string, what: string): void {
  const b = enc.encode(text);
  if (b.length > GPIO_MAX_NAME_SIZE - 1) throw new RangeError(`${what} '${text}' is longer than ${GPIO_MAX_NAME_SIZE - 1} bytes`);
  if (b.includes(0)) throw new RangeError(`${what} contains a NUL byte`);
  out.set(b, at);
}

function readName(bytes: Uint8Array, at: number): string {
  const field = bytes.subarray(at, at + GPIO_MAX_NAME_SIZE);
  const end = field.indexOf(0);
  return dec.decode(end < 0 ? field : field.subarray(0, end));
}

/**
 * Writes the layout's fields of `value` into `out` at `at` (padding is left as it is: zero in a new buffer).
 * @throws {RangeError} when a field does not fit its type
 */
export function encodeFields<T>(out: Uint8Array, at: number, layout: StructLayout<T>, value: T): void {
  const dv = view(out);
  for (const [key, offset, type] of layout.fields) {
    const v = value[key] as Scalar<FieldType>;
    const what = `${layout.name}.${String(key)}`;
    if (type === "name") writeName(out, at + offset, v as string, what);
    else if (type === "u32") {
      checkUnsigned(v as number, 32, what);
      dv.setUint32(at + offset, v as number, true);
    } else {
      checkUnsigned(v as bigint, 64, what);
      dv.setBigUint64(at + offset, v as bigint, true);
    }
  }
}

/** Reads the layout's fields at `at` (the caller has checked the length with {@link need}). */
export function decodeFields<T>(bytes: Uint8Array, at: number, layout: StructLayout<T>): T {
  const dv = view(bytes);
  const value: Record<string, unknown> = {};
  for (const [key, offset, type] of layout.fields) {
    value[key as string] = type === "name" ? readName(bytes, at + offset) : type === "u32" ? dv.getUint32(at + offset, true) : dv.getBigUint64(at + offset, true);
  }
  return value as T;
}

/** Where an array lives in a struct: its u32 count field, its first element, the element size and the maximum. */
export interface ArrayLayout {
  readonly what: string;
  readonly countAt: number;
  readonly firstAt: number;
  readonly stride: number;
  readonly max: number;
}

/**
 * Writes the count and each element (through `encodeOne` at its offset).
 * @throws {RangeError} with more than `max` items
 */
export function encodeArray<E>(out: Uint8Array, at: number, a: ArrayLayout, items: readonly E[], encodeOne: (dv: DataView, at: number, item: E) => void): void {
  if (items.length > a.max) throw new RangeError(`${a.what} ${items.length} > ${a.max}`);
  const dv = view(out);
  dv.setUint32(at + a.countAt, items.length, true);
  items.forEach((item, i) => encodeOne(dv, at + a.firstAt + i * a.stride, item));
}

/**
 * Reads the count and each element (through `decodeOne`).
 * @throws {GpioFrameError} when the count is over `max`
 */
export function decodeArray<E>(bytes: Uint8Array, at: number, a: ArrayLayout, decodeOne: (dv: DataView, at: number) => E): E[] {
  const dv = view(bytes);
  const n = dv.getUint32(at + a.countAt, true);
  if (n > a.max) throw new GpioFrameError(`${a.what} ${n} > ${a.max}`, at + a.countAt);
  return Array.from({ length: n }, (_, i) => decodeOne(dv, at + a.firstAt + i * a.stride));
}
