/**
 * The GPIO character device uAPI v2 (`include/uapi/linux/gpio.h`) as pure codecs: struct layouts, flag bits
 * and ioctl numbers. No I/O here; `cdev.ts` passes these buffers to `ioctl(2)`.
 *
 * The structs use `__aligned_u64` and explicit padding, so their layout is identical on x86-64 and arm64
 * (and on 32-bit arm); sizes and offsets are pinned by golden tests. Multi-byte fields are little-endian
 * on every architecture disco targets (x86-64, arm64, armhf).
 */
import { GpioFrameError } from "./errors.ts";

/** `GPIO_MAX_NAME_SIZE`: bytes of a name/label/consumer field, NUL-padded. */
export const GPIO_MAX_NAME_SIZE = 32;
/** `GPIO_V2_LINES_MAX`: lines per request. */
export const GPIO_V2_LINES_MAX = 64;
/** `GPIO_V2_LINE_NUM_ATTRS_MAX`: attributes per config. */
export const GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

/** `enum gpio_v2_line_flag` bits. */
export const GPIO_V2_LINE_FLAG_USED = 1n << 0n;
export const GPIO_V2_LINE_FLAG_ACTIVE_LOW = 1n << 1n;
export const GPIO_V2_LINE_FLAG_INPUT = 1n << 2n;
export const GPIO_V2_LINE_FLAG_OUTPUT = 1n << 3n;
export const GPIO_V2_LINE_FLAG_EDGE_RISING = 1n << 4n;
export const GPIO_V2_LINE_FLAG_EDGE_FALLING = 1n << 5n;
export const GPIO_V2_LINE_FLAG_OPEN_DRAIN = 1n << 6n;
export const GPIO_V2_LINE_FLAG_OPEN_SOURCE = 1n << 7n;
export const GPIO_V2_LINE_FLAG_BIAS_PULL_UP = 1n << 8n;
export const GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN = 1n << 9n;
export const GPIO_V2_LINE_FLAG_BIAS_DISABLED = 1n << 10n;
export const GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME = 1n << 11n;
export const GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE = 1n << 12n;

/** `enum gpio_v2_line_attr_id`. */
export const GPIO_V2_LINE_ATTR_ID_FLAGS = 1;
export const GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES = 2;
export const GPIO_V2_LINE_ATTR_ID_DEBOUNCE = 3;

/** `enum gpio_v2_line_event_id`. */
export const GPIO_V2_LINE_EVENT_RISING_EDGE = 1;
export const GPIO_V2_LINE_EVENT_FALLING_EDGE = 2;

/** Struct sizes in bytes (`sizeof`), the same on every 64-bit and 32-bit Linux ABI. */
export const GPIOCHIP_INFO_SIZE = 68;
export const GPIO_V2_LINE_ATTRIBUTE_SIZE = 16;
export const GPIO_V2_LINE_CONFIG_ATTRIBUTE_SIZE = 24;
export const GPIO_V2_LINE_CONFIG_SIZE = 272;
export const GPIO_V2_LINE_REQUEST_SIZE = 592;
export const GPIO_V2_LINE_INFO_SIZE = 256;
export const GPIO_V2_LINE_VALUES_SIZE = 16;
export const GPIO_V2_LINE_EVENT_SIZE = 48;

/** Offset of `fd` in `struct gpio_v2_line_request` (written by the kernel). */
export const GPIO_V2_LINE_REQUEST_FD_OFFSET = 588;

// asm-generic/ioctl.h: nr bits 0-7, type bits 8-15, size bits 16-29, dir bits 30-31 (x86, arm, arm64, riscv).
const IOC_WRITE = 1;
const IOC_READ = 2;

/**
 * Encodes an ioctl request number like the kernel's `_IOC(dir, type, nr, size)` (asm-generic layout, used by
 * x86-64, arm and arm64).
 * @param dir 0 none, 1 write, 2 read, 3 read+write
 * @returns the request number (an unsigned 32-bit value)
 * @throws {RangeError} when a field does not fit its bits
 */
export function encodeIoctl(dir: number, type: number, nr: number, size: number): number {
  if (dir < 0 || dir > 3 || type < 0 || type > 0xff || nr < 0 || nr > 0xff || size < 0 || size > 0x3fff) {
    throw new RangeError(`ioctl field out of range (dir ${dir}, type ${type}, nr ${nr}, size ${size})`);
  }
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

const GPIO_IOC_MAGIC = 0xb4;
/** `_IOR(0xB4, 0x01, struct gpiochip_info)` */
export const GPIO_GET_CHIPINFO_IOCTL = encodeIoctl(IOC_READ, GPIO_IOC_MAGIC, 0x01, GPIOCHIP_INFO_SIZE);
/** `_IOWR(0xB4, 0x05, struct gpio_v2_line_info)` */
export const GPIO_V2_GET_LINEINFO_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x05, GPIO_V2_LINE_INFO_SIZE);
/** `_IOWR(0xB4, 0x06, struct gpio_v2_line_info)` */
export const GPIO_V2_GET_LINEINFO_WATCH_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x06, GPIO_V2_LINE_INFO_SIZE);
/** `_IOWR(0xB4, 0x07, struct gpio_v2_line_request)` */
export const GPIO_V2_GET_LINE_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x07, GPIO_V2_LINE_REQUEST_SIZE);
/** `_IOWR(0xB4, 0x0D, struct gpio_v2_line_config)` */
export const GPIO_V2_LINE_SET_CONFIG_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x0d, GPIO_V2_LINE_CONFIG_SIZE);
/** `_IOWR(0xB4, 0x0E, struct gpio_v2_line_values)` */
export const GPIO_V2_LINE_GET_VALUES_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x0e, GPIO_V2_LINE_VALUES_SIZE);
/** `_IOWR(0xB4, 0x0F, struct gpio_v2_line_values)` */
export const GPIO_V2_LINE_SET_VALUES_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x0f, GPIO_V2_LINE_VALUES_SIZE);
/** `_IOWR(0xB4, 0x0C, __u32)` */
export const GPIO_GET_LINEINFO_UNWATCH_IOCTL = encodeIoctl(IOC_READ | IOC_WRITE, GPIO_IOC_MAGIC, 0x0c, 4);

/** `struct gpiochip_info`. */
export interface ChipInfoStruct {
  readonly name: string;
  readonly label: string;
  readonly lines: number;
}

/** `struct gpio_v2_line_attribute` (the union is read according to `id`). */
export type LineAttribute =
  | { readonly id: typeof GPIO_V2_LINE_ATTR_ID_FLAGS; readonly flags: bigint }
  | { readonly id: typeof GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES; readonly values: bigint }
  | { readonly id: typeof GPIO_V2_LINE_ATTR_ID_DEBOUNCE; readonly debouncePeriodUs: number };

/** `struct gpio_v2_line_config_attribute`. */
export interface LineConfigAttribute {
  readonly attr: LineAttribute;
  /** Bitmap over the request's line indexes. */
  readonly mask: bigint;
}

/** `struct gpio_v2_line_config`. */
export interface LineConfigStruct {
  readonly flags: bigint;
  readonly attrs: readonly LineConfigAttribute[];
}

/** `struct gpio_v2_line_request` (the input half; `fd` is written back by the kernel). */
export interface LineRequestStruct {
  readonly offsets: readonly number[];
  readonly consumer: string;
  readonly config: LineConfigStruct;
  /** 0 lets the kernel choose (16 per line). */
  readonly eventBufferSize?: number;
}

/** `struct gpio_v2_line_info`. */
export interface LineInfoStruct {
  readonly name: string;
  readonly consumer: string;
  readonly offset: number;
  readonly flags: bigint;
  readonly attrs: readonly LineAttribute[];
}

/** `struct gpio_v2_line_values`. */
export interface LineValuesStruct {
  readonly bits: bigint;
  readonly mask: bigint;
}

/** `struct gpio_v2_line_event`. */
export interface LineEventStruct {
  /** CLOCK_MONOTONIC nanoseconds unless the request asked for REALTIME. */
  readonly timestampNs: bigint;
  /** 1 rising, 2 falling. */
  readonly id: number;
  readonly offset: number;
  readonly seqno: number;
  readonly lineSeqno: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function need(bytes: Uint8Array, offset: number, size: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || bytes.length - offset < size) {
    throw new GpioFrameError(`${what} needs ${size} bytes at offset ${offset}, have ${Math.max(0, bytes.length - offset)}`, offset);
  }
}

function writeName(out: Uint8Array, at: number, text: string, what: string): void {
  const b = enc.encode(text);
  // One byte is kept for the terminating NUL, as the kernel copies with strscpy.
  if (b.length > GPIO_MAX_NAME_SIZE - 1) throw new RangeError(`${what} '${text}' is longer than ${GPIO_MAX_NAME_SIZE - 1} bytes`);
  if (b.includes(0)) throw new RangeError(`${what} contains a NUL byte`);
  out.set(b, at);
}

function readName(bytes: Uint8Array, at: number): string {
  const field = bytes.subarray(at, at + GPIO_MAX_NAME_SIZE);
  const end = field.indexOf(0);
  return dec.decode(end < 0 ? field : field.subarray(0, end));
}

function checkU64(v: bigint, what: string): void {
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${what} must fit in 64 unsigned bits`);
}

/**
 * Decodes `struct gpiochip_info` (68 bytes).
 * @returns the value and the offset after it
 * @throws {GpioFrameError} when fewer than 68 bytes remain
 */
export function decodeChipInfo(bytes: Uint8Array, offset = 0): { value: ChipInfoStruct; next: number } {
  need(bytes, offset, GPIOCHIP_INFO_SIZE, "gpiochip_info");
  const b = bytes.subarray(offset);
  return {
    value: { name: readName(b, 0), label: readName(b, 32), lines: view(b).getUint32(64, true) },
    next: offset + GPIOCHIP_INFO_SIZE,
  };
}

/**
 * Encodes `struct gpiochip_info` (used by tests and fakes; the kernel fills it).
 * @throws {RangeError} on a name longer than 31 bytes or a negative line count
 */
export function encodeChipInfo(info: ChipInfoStruct): Uint8Array {
  const out = new Uint8Array(GPIOCHIP_INFO_SIZE);
  writeName(out, 0, info.name, "chip name");
  writeName(out, 32, info.label, "chip label");
  if (!Number.isInteger(info.lines) || info.lines < 0 || info.lines > 0xffff_ffff) throw new RangeError("lines must be a u32");
  view(out).setUint32(64, info.lines, true);
  return out;
}

function encodeAttribute(dv: DataView, at: number, attr: LineAttribute): void {
  dv.setUint32(at, attr.id, true); // id; padding at +4 stays zero
  switch (attr.id) {
    case GPIO_V2_LINE_ATTR_ID_FLAGS:
      checkU64(attr.flags, "flags");
      dv.setBigUint64(at + 8, attr.flags, true);
      break;
    case GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES:
      checkU64(attr.values, "values");
      dv.setBigUint64(at + 8, attr.values, true);
      break;
    case GPIO_V2_LINE_ATTR_ID_DEBOUNCE:
      if (!Number.isInteger(attr.debouncePeriodUs) || attr.debouncePeriodUs < 0 || attr.debouncePeriodUs > 0xffff_ffff) {
        throw new RangeError("debouncePeriodUs must be a u32");
      }
      dv.setUint32(at + 8, attr.debouncePeriodUs, true);
      break;
  }
}

function decodeAttribute(dv: DataView, at: number): LineAttribute {
  const id = dv.getUint32(at, true);
  switch (id) {
    case GPIO_V2_LINE_ATTR_ID_FLAGS:
      return { id, flags: dv.getBigUint64(at + 8, true) };
    case GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES:
      return { id, values: dv.getBigUint64(at + 8, true) };
    case GPIO_V2_LINE_ATTR_ID_DEBOUNCE:
      return { id, debouncePeriodUs: dv.getUint32(at + 8, true) };
    default:
      throw new GpioFrameError(`unknown gpio_v2_line_attribute id ${id}`, at);
  }
}

/**
 * Encodes `struct gpio_v2_line_config` (272 bytes) into `out` at `at`.
 * @throws {RangeError} with more than 10 attributes or out-of-range fields
 */
export function encodeLineConfigInto(out: Uint8Array, at: number, config: LineConfigStruct): void {
  if (config.attrs.length > GPIO_V2_LINE_NUM_ATTRS_MAX) throw new RangeError(`at most ${GPIO_V2_LINE_NUM_ATTRS_MAX} attributes`);
  checkU64(config.flags, "flags");
  const dv = view(out);
  dv.setBigUint64(at, config.flags, true); // flags
  dv.setUint32(at + 8, config.attrs.length, true); // num_attrs; padding[5] at +12..31 stays zero
  config.attrs.forEach((a, i) => {
    const base = at + 32 + i * GPIO_V2_LINE_CONFIG_ATTRIBUTE_SIZE;
    encodeAttribute(dv, base, a.attr);
    checkU64(a.mask, "mask");
    dv.setBigUint64(base + 16, a.mask, true);
  });
}

/** Encodes `struct gpio_v2_line_config` (for `GPIO_V2_LINE_SET_CONFIG_IOCTL`). */
export function encodeLineConfig(config: LineConfigStruct): Uint8Array {
  const out = new Uint8Array(GPIO_V2_LINE_CONFIG_SIZE);
  encodeLineConfigInto(out, 0, config);
  return out;
}

/**
 * Decodes `struct gpio_v2_line_config`.
 * @throws {GpioFrameError} when short, or `num_attrs` > 10, or an attribute id is unknown
 */
export function decodeLineConfig(bytes: Uint8Array, offset = 0): { value: LineConfigStruct; next: number } {
  need(bytes, offset, GPIO_V2_LINE_CONFIG_SIZE, "gpio_v2_line_config");
  const dv = view(bytes);
  const n = dv.getUint32(offset + 8, true);
  if (n > GPIO_V2_LINE_NUM_ATTRS_MAX) throw new GpioFrameError(`num_attrs ${n} > ${GPIO_V2_LINE_NUM_ATTRS_MAX}`, offset + 8);
  const attrs: LineConfigAttribute[] = [];
  for (let i = 0; i < n; i++) {
    const base = offset + 32 + i * GPIO_V2_LINE_CONFIG_ATTRIBUTE_SIZE;
    attrs.push({ attr: decodeAttribute(dv, base), mask: dv.getBigUint64(base + 16, true) });
  }
  return { value: { flags: dv.getBigUint64(offset, true), attrs }, next: offset + GPIO_V2_LINE_CONFIG_SIZE };
}

/**
 * Encodes `struct gpio_v2_line_request` (592 bytes) for `GPIO_V2_GET_LINE_IOCTL`.
 * @throws {RangeError} on 0 or more than 64 offsets, a consumer over 31 bytes, or bad config
 */
export function encodeLineRequest(req: LineRequestStruct): Uint8Array {
  const n = req.offsets.length;
  if (n < 1 || n > GPIO_V2_LINES_MAX) throw new RangeError(`a request takes 1 to ${GPIO_V2_LINES_MAX} lines, got ${n}`);
  const out = new Uint8Array(GPIO_V2_LINE_REQUEST_SIZE);
  const dv = view(out);
  req.offsets.forEach((o, i) => {
    if (!Number.isInteger(o) || o < 0 || o > 0xffff_ffff) throw new RangeError(`line offset ${o} is not a u32`);
    dv.setUint32(i * 4, o, true); // offsets[64]
  });
  writeName(out, 256, req.consumer, "consumer"); // consumer[32]
  encodeLineConfigInto(out, 288, req.config); // config (272 bytes)
  dv.setUint32(560, n, true); // num_lines
  dv.setUint32(564, req.eventBufferSize ?? 0, true); // event_buffer_size; padding[5] 568..587; fd 588
  return out;
}

/**
 * Decodes `struct gpio_v2_line_request`, including the `fd` the kernel wrote.
 * @throws {GpioFrameError} when short or `num_lines` is out of range
 */
export function decodeLineRequest(bytes: Uint8Array, offset = 0): { value: LineRequestStruct & { fd: number }; next: number } {
  need(bytes, offset, GPIO_V2_LINE_REQUEST_SIZE, "gpio_v2_line_request");
  const dv = view(bytes);
  const n = dv.getUint32(offset + 560, true);
  if (n > GPIO_V2_LINES_MAX) throw new GpioFrameError(`num_lines ${n} > ${GPIO_V2_LINES_MAX}`, offset + 560);
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) offsets.push(dv.getUint32(offset + i * 4, true));
  const config = decodeLineConfig(bytes, offset + 288).value;
  const eventBufferSize = dv.getUint32(offset + 564, true);
  const fd = dv.getInt32(offset + GPIO_V2_LINE_REQUEST_FD_OFFSET, true);
  return {
    value: { offsets, consumer: readName(bytes, offset + 256), config, eventBufferSize, fd },
    next: offset + GPIO_V2_LINE_REQUEST_SIZE,
  };
}

/** Reads the `fd` field the kernel wrote into a request buffer. */
export function requestFd(bytes: Uint8Array): number {
  need(bytes, 0, GPIO_V2_LINE_REQUEST_SIZE, "gpio_v2_line_request");
  return view(bytes).getInt32(GPIO_V2_LINE_REQUEST_FD_OFFSET, true);
}

/** Encodes the input half of `struct gpio_v2_line_info` (only `offset` is read by the kernel). */
export function encodeLineInfoQuery(offset: number): Uint8Array {
  const out = new Uint8Array(GPIO_V2_LINE_INFO_SIZE);
  view(out).setUint32(64, offset, true);
  return out;
}

/**
 * Encodes a full `struct gpio_v2_line_info` (256 bytes; for fakes and tests).
 * @throws {RangeError} on names over 31 bytes or more than 10 attributes
 */
export function encodeLineInfo(info: LineInfoStruct): Uint8Array {
  if (info.attrs.length > GPIO_V2_LINE_NUM_ATTRS_MAX) throw new RangeError(`at most ${GPIO_V2_LINE_NUM_ATTRS_MAX} attributes`);
  const out = new Uint8Array(GPIO_V2_LINE_INFO_SIZE);
  const dv = view(out);
  writeName(out, 0, info.name, "line name"); // name[32]
  writeName(out, 32, info.consumer, "consumer"); // consumer[32]
  dv.setUint32(64, info.offset, true); // offset
  dv.setUint32(68, info.attrs.length, true); // num_attrs
  checkU64(info.flags, "flags");
  dv.setBigUint64(72, info.flags, true); // flags
  info.attrs.forEach((a, i) => encodeAttribute(dv, 80 + i * GPIO_V2_LINE_ATTRIBUTE_SIZE, a)); // attrs[10]; padding[4] 240..255
  return out;
}

/**
 * Decodes `struct gpio_v2_line_info` (256 bytes).
 * @throws {GpioFrameError} when short, `num_attrs` > 10, or an attribute id is unknown
 */
export function decodeLineInfo(bytes: Uint8Array, offset = 0): { value: LineInfoStruct; next: number } {
  need(bytes, offset, GPIO_V2_LINE_INFO_SIZE, "gpio_v2_line_info");
  const dv = view(bytes);
  const n = dv.getUint32(offset + 68, true);
  if (n > GPIO_V2_LINE_NUM_ATTRS_MAX) throw new GpioFrameError(`num_attrs ${n} > ${GPIO_V2_LINE_NUM_ATTRS_MAX}`, offset + 68);
  const attrs: LineAttribute[] = [];
  for (let i = 0; i < n; i++) attrs.push(decodeAttribute(dv, offset + 80 + i * GPIO_V2_LINE_ATTRIBUTE_SIZE));
  return {
    value: {
      name: readName(bytes, offset),
      consumer: readName(bytes, offset + 32),
      offset: dv.getUint32(offset + 64, true),
      flags: dv.getBigUint64(offset + 72, true),
      attrs,
    },
    next: offset + GPIO_V2_LINE_INFO_SIZE,
  };
}

/** Encodes `struct gpio_v2_line_values` (16 bytes). @throws {RangeError} when a field is not a u64 */
export function encodeLineValues(v: LineValuesStruct): Uint8Array {
  checkU64(v.bits, "bits");
  checkU64(v.mask, "mask");
  const out = new Uint8Array(GPIO_V2_LINE_VALUES_SIZE);
  const dv = view(out);
  dv.setBigUint64(0, v.bits, true); // bits
  dv.setBigUint64(8, v.mask, true); // mask
  return out;
}

/** Decodes `struct gpio_v2_line_values`. @throws {GpioFrameError} when short */
export function decodeLineValues(bytes: Uint8Array, offset = 0): { value: LineValuesStruct; next: number } {
  need(bytes, offset, GPIO_V2_LINE_VALUES_SIZE, "gpio_v2_line_values");
  const dv = view(bytes);
  return { value: { bits: dv.getBigUint64(offset, true), mask: dv.getBigUint64(offset + 8, true) }, next: offset + 16 };
}

/** Encodes `struct gpio_v2_line_event` (48 bytes; for fakes and tests). */
export function encodeLineEvent(e: LineEventStruct): Uint8Array {
  checkU64(e.timestampNs, "timestampNs");
  const out = new Uint8Array(GPIO_V2_LINE_EVENT_SIZE);
  const dv = view(out);
  dv.setBigUint64(0, e.timestampNs, true); // timestamp_ns
  dv.setUint32(8, e.id, true); // id
  dv.setUint32(12, e.offset, true); // offset
  dv.setUint32(16, e.seqno, true); // seqno
  dv.setUint32(20, e.lineSeqno, true); // line_seqno; padding[6] 24..47
  return out;
}

/**
 * Decodes one `struct gpio_v2_line_event` from a stream of them.
 * @returns the event and the offset after it, or undefined when fewer than 48 bytes remain (need more)
 * @throws {GpioFrameError} on an unknown event id
 */
export function decodeLineEvent(bytes: Uint8Array, offset = 0): { value: LineEventStruct; next: number } | undefined {
  if (bytes.length - offset < GPIO_V2_LINE_EVENT_SIZE) return undefined;
  const dv = view(bytes);
  const id = dv.getUint32(offset + 8, true);
  if (id !== GPIO_V2_LINE_EVENT_RISING_EDGE && id !== GPIO_V2_LINE_EVENT_FALLING_EDGE) {
    throw new GpioFrameError(`unknown gpio_v2_line_event id ${id}`, offset + 8);
  }
  return {
    value: {
      timestampNs: dv.getBigUint64(offset, true),
      id,
      offset: dv.getUint32(offset + 12, true),
      seqno: dv.getUint32(offset + 16, true),
      lineSeqno: dv.getUint32(offset + 20, true),
    },
    next: offset + GPIO_V2_LINE_EVENT_SIZE,
  };
}
