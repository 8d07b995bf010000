/**
 * The GPIO character device uAPI v2 (`include/uapi/linux/gpio.h`) as pure codecs: struct layouts, flag bits
 * and ioctl numbers. No I/O here; `cdev.ts` passes these buffers to `ioctl(2)`.
 *
 * The structs use `__aligned_u64` and explicit padding, so their layout is identical on x86-64 and arm64
 * (and on 32-bit arm); sizes and offsets are pinned by golden tests. Multi-byte fields are little-endian
 * on every architecture disco targets (x86-64, arm64, armhf).
 */
import { checkUnsigned, decodeArray, decodeFields, encodeArray, encodeFields, need, view, type ArrayLayout, type StructLayout } from "./_struct.ts";
import { GpioFrameError } from "./errors.ts";

export { GPIO_MAX_NAME_SIZE } from "./_struct.ts";
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

// Layouts of linux/gpio.h: each scalar field's offset and type, written once for both directions.

const CHIP_INFO: StructLayout<ChipInfoStruct> = {
  name: "gpiochip_info",
  size: GPIOCHIP_INFO_SIZE,
  fields: [["name", 0, "name"], ["label", 32, "name"], ["lines", 64, "u32"]],
};

// gpio_v2_line_config: flags, num_attrs, padding[5], attrs[10] (gpio_v2_line_config_attribute: attr, mask).
const LINE_CONFIG: StructLayout<Omit<LineConfigStruct, "attrs">> = { name: "gpio_v2_line_config", size: GPIO_V2_LINE_CONFIG_SIZE, fields: [["flags", 0, "u64"]] };
const LINE_CONFIG_ATTRS: ArrayLayout = { what: "num_attrs", countAt: 8, firstAt: 32, stride: GPIO_V2_LINE_CONFIG_ATTRIBUTE_SIZE, max: GPIO_V2_LINE_NUM_ATTRS_MAX };

// gpio_v2_line_request: offsets[64], consumer, config (at 288), num_lines, event_buffer_size, padding[5], fd.
const LINE_REQUEST: StructLayout<{ consumer: string; eventBufferSize: number }> = {
  name: "gpio_v2_line_request",
  size: GPIO_V2_LINE_REQUEST_SIZE,
  fields: [["consumer", 256, "name"], ["eventBufferSize", 564, "u32"]],
};
const LINE_REQUEST_CONFIG_AT = 288;
const LINE_REQUEST_OFFSETS: ArrayLayout = { what: "num_lines", countAt: 560, firstAt: 0, stride: 4, max: GPIO_V2_LINES_MAX };

// gpio_v2_line_info: name, consumer, offset, num_attrs, flags, attrs[10], padding[4].
const LINE_INFO: StructLayout<Omit<LineInfoStruct, "attrs">> = {
  name: "gpio_v2_line_info",
  size: GPIO_V2_LINE_INFO_SIZE,
  fields: [["name", 0, "name"], ["consumer", 32, "name"], ["offset", 64, "u32"], ["flags", 72, "u64"]],
};
const LINE_INFO_ATTRS: ArrayLayout = { what: "num_attrs", countAt: 68, firstAt: 80, stride: GPIO_V2_LINE_ATTRIBUTE_SIZE, max: GPIO_V2_LINE_NUM_ATTRS_MAX };

const LINE_VALUES: StructLayout<LineValuesStruct> = { name: "gpio_v2_line_values", size: GPIO_V2_LINE_VALUES_SIZE, fields: [["bits", 0, "u64"], ["mask", 8, "u64"]] };

// gpio_v2_line_event: timestamp_ns, id, offset, seqno, line_seqno, padding[6].
const LINE_EVENT: StructLayout<LineEventStruct> = {
  name: "gpio_v2_line_event",
  size: GPIO_V2_LINE_EVENT_SIZE,
  fields: [["timestampNs", 0, "u64"], ["id", 8, "u32"], ["offset", 12, "u32"], ["seqno", 16, "u32"], ["lineSeqno", 20, "u32"]],
};

/** A new buffer of the layout's size with `value`'s fields. @throws {RangeError} when a field does not fit */
function encodeStruct<T>(layout: StructLayout<T>, value: T): Uint8Array {
  const out = new Uint8Array(layout.size);
  encodeFields(out, 0, layout, value);
  return out;
}

/** Decodes a whole struct at `offset`. @throws {GpioFrameError} when short */
function decodeStruct<T>(bytes: Uint8Array, offset: number, layout: StructLayout<T>): { value: T; next: number } {
  need(bytes, offset, layout.size, layout.name);
  return { value: decodeFields(bytes, offset, layout), next: offset + layout.size };
}

/**
 * Decodes `struct gpiochip_info` (68 bytes).
 * @returns the value and the offset after it
 * @throws {GpioFrameError} when fewer than 68 bytes remain
 */
export function decodeChipInfo(bytes: Uint8Array, offset = 0): { value: ChipInfoStruct; next: number } {
  return decodeStruct(bytes, offset, CHIP_INFO);
}

/**
 * Encodes `struct gpiochip_info` (used by tests and fakes; the kernel fills it).
 * @throws {RangeError} on a name longer than 31 bytes or a line count that is not a u32
 */
export function encodeChipInfo(info: ChipInfoStruct): Uint8Array {
  return encodeStruct(CHIP_INFO, info);
}

/** `struct gpio_v2_line_attribute`: id (u32), padding, then the union (8 bytes) read according to id. */
function encodeAttribute(dv: DataView, at: number, attr: LineAttribute): void {
  dv.setUint32(at, attr.id, true);
  switch (attr.id) {
    case GPIO_V2_LINE_ATTR_ID_FLAGS:
      checkUnsigned(attr.flags, 64, "flags");
      dv.setBigUint64(at + 8, attr.flags, true);
      break;
    case GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES:
      checkUnsigned(attr.values, 64, "values");
      dv.setBigUint64(at + 8, attr.values, true);
      break;
    case GPIO_V2_LINE_ATTR_ID_DEBOUNCE:
      checkUnsigned(attr.debouncePeriodUs, 32, "debouncePeriodUs");
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

/** `struct gpio_v2_line_config_attribute`: the attribute, then the mask of lines it applies to. */
function encodeConfigAttribute(dv: DataView, at: number, a: LineConfigAttribute): void {
  encodeAttribute(dv, at, a.attr);
  checkUnsigned(a.mask, 64, "mask");
  dv.setBigUint64(at + 16, a.mask, true);
}

function decodeConfigAttribute(dv: DataView, at: number): LineConfigAttribute {
  return { attr: decodeAttribute(dv, at), mask: dv.getBigUint64(at + 16, true) };
}

/**
 * Encodes `struct gpio_v2_line_config` (272 bytes) into `out` at `at`.
 * @throws {RangeError} with more than 10 attributes or out-of-range fields
 */
export function encodeLineConfigInto(out: Uint8Array, at: number, config: LineConfigStruct): void {
  encodeFields(out, at, LINE_CONFIG, config);
  encodeArray(out, at, LINE_CONFIG_ATTRS, config.attrs, encodeConfigAttribute);
}

/** Encodes `struct gpio_v2_line_config` (for `GPIO_V2_LINE_SET_CONFIG_IOCTL`). @throws {RangeError} as {@link encodeLineConfigInto} */
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
  const { value, next } = decodeStruct(bytes, offset, LINE_CONFIG);
  return { value: { ...value, attrs: decodeArray(bytes, offset, LINE_CONFIG_ATTRS, decodeConfigAttribute) }, next };
}

/**
 * Encodes `struct gpio_v2_line_request` (592 bytes) for `GPIO_V2_GET_LINE_IOCTL`.
 * @throws {RangeError} on 0 or more than 64 offsets, a consumer over 31 bytes, or bad config
 */
export function encodeLineRequest(req: LineRequestStruct): Uint8Array {
  const n = req.offsets.length;
  if (n < 1 || n > GPIO_V2_LINES_MAX) throw new RangeError(`a request takes 1 to ${GPIO_V2_LINES_MAX} lines, got ${n}`);
  const out = encodeStruct(LINE_REQUEST, { consumer: req.consumer, eventBufferSize: req.eventBufferSize ?? 0 });
  encodeArray(out, 0, LINE_REQUEST_OFFSETS, req.offsets, (dv, at, o) => {
    checkUnsigned(o, 32, "line offset");
    dv.setUint32(at, o, true);
  });
  encodeLineConfigInto(out, LINE_REQUEST_CONFIG_AT, req.config);
  return out;
}

/**
 * Decodes `struct gpio_v2_line_request`, including the `fd` the kernel wrote.
 * @throws {GpioFrameError} when short or `num_lines` is out of range
 */
export function decodeLineRequest(bytes: Uint8Array, offset = 0): { value: LineRequestStruct & { fd: number }; next: number } {
  const { value, next } = decodeStruct(bytes, offset, LINE_REQUEST);
  const offsets = decodeArray(bytes, offset, LINE_REQUEST_OFFSETS, (dv, at) => dv.getUint32(at, true));
  const config = decodeLineConfig(bytes, offset + LINE_REQUEST_CONFIG_AT).value;
  const fd = view(bytes).getInt32(offset + GPIO_V2_LINE_REQUEST_FD_OFFSET, true);
  return { value: { offsets, ...value, config, fd }, next };
}

/** Reads the `fd` field the kernel wrote into a request buffer. @throws {GpioFrameError} when short */
export function requestFd(bytes: Uint8Array): number {
  need(bytes, 0, GPIO_V2_LINE_REQUEST_SIZE, "gpio_v2_line_request");
  return view(bytes).getInt32(GPIO_V2_LINE_REQUEST_FD_OFFSET, true);
}

/** Encodes the input half of `struct gpio_v2_line_info` (only `offset` is read by the kernel). */
export function encodeLineInfoQuery(offset: number): Uint8Array {
  return encodeStruct(LINE_INFO, { name: "", consumer: "", offset, flags: 0n });
}

/**
 * Encodes a full `struct gpio_v2_line_info` (256 bytes; for fakes and tests).
 * @throws {RangeError} on names over 31 bytes, more than 10 attributes or out-of-range fields
 */
export function encodeLineInfo(info: LineInfoStruct): Uint8Array {
  const out = encodeStruct(LINE_INFO, info);
  encodeArray(out, 0, LINE_INFO_ATTRS, info.attrs, encodeAttribute);
  return out;
}

/**
 * Decodes `struct gpio_v2_line_info` (256 bytes).
 * @throws {GpioFrameError} when short, `num_attrs` > 10, or an attribute id is unknown
 */
export function decodeLineInfo(bytes: Uint8Array, offset = 0): { value: LineInfoStruct; next: number } {
  const { value, next } = decodeStruct(bytes, offset, LINE_INFO);
  return { value: { ...value, attrs: decodeArray(bytes, offset, LINE_INFO_ATTRS, decodeAttribute) }, next };
}

/** Encodes `struct gpio_v2_line_values` (16 bytes). @throws {RangeError} when a field is not a u64 */
export function encodeLineValues(v: LineValuesStruct): Uint8Array {
  return encodeStruct(LINE_VALUES, v);
}

/** Decodes `struct gpio_v2_line_values`. @throws {GpioFrameError} when short */
export function decodeLineValues(bytes: Uint8Array, offset = 0): { value: LineValuesStruct; next: number } {
  return decodeStruct(bytes, offset, LINE_VALUES);
}

/** Encodes `struct gpio_v2_line_event` (48 bytes; for fakes and tests). @throws {RangeError} when a field does not fit */
export function encodeLineEvent(e: LineEventStruct): Uint8Array {
  return encodeStruct(LINE_EVENT, e);
}

/**
 * Decodes one `struct gpio_v2_line_event` from a stream of them.
 * @returns the event and the offset after it, or undefined when fewer than 48 bytes remain (need more)
 * @throws {GpioFrameError} on an unknown event id
 */
export function decodeLineEvent(bytes: Uint8Array, offset = 0): { value: LineEventStruct; next: number } | undefined {
  if (bytes.length - offset < GPIO_V2_LINE_EVENT_SIZE) return undefined;
  const r = decodeStruct(bytes, offset, LINE_EVENT);
  if (r.value.id !== GPIO_V2_LINE_EVENT_RISING_EDGE && r.value.id !== GPIO_V2_LINE_EVENT_FALLING_EDGE) {
    throw new GpioFrameError(`unknown gpio_v2_line_event id ${r.value.id}`, offset + 8);
  }
  return r;
}
