import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeChipInfo,
  decodeLineConfig,
  decodeLineEvent,
  decodeLineInfo,
  decodeLineRequest,
  decodeLineValues,
  encodeChipInfo,
  encodeIoctl,
  encodeLineConfig,
  encodeLineEvent,
  encodeLineInfo,
  encodeLineInfoQuery,
  encodeLineRequest,
  encodeLineValues,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_GET_LINEINFO_UNWATCH_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_GET_LINEINFO_WATCH_IOCTL,
  GPIO_V2_LINE_ATTR_ID_DEBOUNCE,
  GPIO_V2_LINE_ATTR_ID_FLAGS,
  GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES,
  GPIO_V2_LINE_CONFIG_SIZE,
  GPIO_V2_LINE_EVENT_SIZE,
  GPIO_V2_LINE_FLAG_ACTIVE_LOW,
  GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
  GPIO_V2_LINE_FLAG_EDGE_FALLING,
  GPIO_V2_LINE_FLAG_EDGE_RISING,
  GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE,
  GPIO_V2_LINE_FLAG_INPUT,
  GPIO_V2_LINE_FLAG_OUTPUT,
  GPIO_V2_LINE_FLAG_USED,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_INFO_SIZE,
  GPIO_V2_LINE_REQUEST_SIZE,
  GPIO_V2_LINE_SET_CONFIG_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  GPIO_V2_LINE_VALUES_SIZE,
  GPIOCHIP_INFO_SIZE,
  requestFd,
} from "../../lib/gpio/uapi.ts";
import { GpioFrameError } from "../../lib/gpio/errors.ts";
import { DiscoError } from "../../lib/errors.ts";
import { configForSettings, describeLineInfo, flagsForSettings } from "../../lib/gpio/line-config.ts";

function hex(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.subarray(from, to)).toString("hex");
}

describe("ioctl numbers (linux/gpio.h, asm-generic _IOC)", () => {
  // Values printed by a C program including <linux/gpio.h> on Debian 12 (x86-64); the asm-generic encoding
  // and the struct sizes are the same on arm64.
  const KERNEL_VALUES: [string, number, number][] = [
    ["GPIO_GET_CHIPINFO_IOCTL", GPIO_GET_CHIPINFO_IOCTL, 0x8044b401],
    ["GPIO_GET_LINEINFO_UNWATCH_IOCTL", GPIO_GET_LINEINFO_UNWATCH_IOCTL, 0xc004b40c],
    ["GPIO_V2_GET_LINEINFO_IOCTL", GPIO_V2_GET_LINEINFO_IOCTL, 0xc100b405],
    ["GPIO_V2_GET_LINEINFO_WATCH_IOCTL", GPIO_V2_GET_LINEINFO_WATCH_IOCTL, 0xc100b406],
    ["GPIO_V2_GET_LINE_IOCTL", GPIO_V2_GET_LINE_IOCTL, 0xc250b407],
    ["GPIO_V2_LINE_SET_CONFIG_IOCTL", GPIO_V2_LINE_SET_CONFIG_IOCTL, 0xc110b40d],
    ["GPIO_V2_LINE_GET_VALUES_IOCTL", GPIO_V2_LINE_GET_VALUES_IOCTL, 0xc010b40e],
    ["GPIO_V2_LINE_SET_VALUES_IOCTL", GPIO_V2_LINE_SET_VALUES_IOCTL, 0xc010b40f],
    // struct sizes: sizeof() in linux/gpio.h
    ["sizeof(struct gpiochip_info)", GPIOCHIP_INFO_SIZE, 68],
    ["sizeof(struct gpio_v2_line_values)", GPIO_V2_LINE_VALUES_SIZE, 16],
    ["sizeof(struct gpio_v2_line_config)", GPIO_V2_LINE_CONFIG_SIZE, 272],
    ["sizeof(struct gpio_v2_line_request)", GPIO_V2_LINE_REQUEST_SIZE, 592],
    ["sizeof(struct gpio_v2_line_info)", GPIO_V2_LINE_INFO_SIZE, 256],
    ["sizeof(struct gpio_v2_line_event)", GPIO_V2_LINE_EVENT_SIZE, 48],
  ];
  for (const [name, got, want] of KERNEL_VALUES) it(`${name} matches the kernel header (${want})`, () => assert.equal(got, want));
  for (const [dir, type, size] of [[4, 0xb4, 4], [3, 0x100, 4], [3, 0xb4, 0x4000]]) {
    it(`encodeIoctl() rejects a field that does not fit (dir ${dir}, type ${type}, size ${size})`, () => assert.throws(() => encodeIoctl(dir!, type!, 1, size!), RangeError));
  }
  it("flag bits are enum gpio_v2_line_flag", () => {
    assert.deepEqual(
      [GPIO_V2_LINE_FLAG_USED, GPIO_V2_LINE_FLAG_ACTIVE_LOW, GPIO_V2_LINE_FLAG_INPUT, GPIO_V2_LINE_FLAG_OUTPUT, GPIO_V2_LINE_FLAG_EDGE_RISING, GPIO_V2_LINE_FLAG_EDGE_FALLING, GPIO_V2_LINE_FLAG_BIAS_PULL_UP, GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE],
      [0x1n, 0x2n, 0x4n, 0x8n, 0x10n, 0x20n, 0x100n, 0x1000n],
    );
  });
});

describe("struct gpiochip_info", () => {
  const golden = new Uint8Array(68);
  golden.set(new TextEncoder().encode("gpiochip0"), 0); // name[32] at 0
  golden.set(new TextEncoder().encode("sim-bank0"), 32); // label[32] at 32
  golden.set([8, 0, 0, 0], 64); // lines (u32 LE) at 64
  it("decodeChipInfo() reads the golden bytes", () => {
    assert.deepEqual(decodeChipInfo(golden), { value: { name: "gpiochip0", label: "sim-bank0", lines: 8 }, next: 68 });
  });
  it("encodeChipInfo() writes the golden bytes", () => {
    assert.deepEqual(encodeChipInfo({ name: "gpiochip0", label: "sim-bank0", lines: 8 }), golden);
  });
  it("decodeChipInfo() rejects a short struct at every length", () => {
    for (let n = 0; n < 68; n++) assert.throws(() => decodeChipInfo(golden.subarray(0, n)), GpioFrameError);
  });
  it("encodeChipInfo() rejects a name that leaves no room for NUL", () => {
    assert.throws(() => encodeChipInfo({ name: "x".repeat(32), label: "", lines: 1 }), RangeError);
  });
});

describe("struct gpio_v2_line_request", () => {
  const req = {
    offsets: [6],
    consumer: "door",
    config: {
      flags: GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
      attrs: [{ attr: { id: GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debouncePeriodUs: 20000 } as const, mask: 1n }],
    },
  };
  const b = encodeLineRequest(req);
  it("puts each field at its offset", () => {
    assert.equal(b.length, 592);
    assert.equal(hex(b, 0, 8), "0600000000000000"); // offsets[0] = 6, offsets[1] = 0
    assert.equal(hex(b, 256, 261), "646f6f7200"); // consumer "door\0" at 256
    assert.equal(hex(b, 288, 296), "1401000000000000"); // config.flags = INPUT|EDGE_RISING|BIAS_PULL_UP = 0x114
    assert.equal(hex(b, 296, 300), "01000000"); // config.num_attrs = 1 at 296
    assert.equal(hex(b, 300, 320), "00".repeat(20)); // config.padding[5]
    assert.equal(hex(b, 320, 328), "0300000000000000"); // attrs[0].attr.id = DEBOUNCE, padding 0
    assert.equal(hex(b, 328, 336), "204e000000000000"); // attrs[0].attr.debounce_period_us = 20000 (union, 8 bytes)
    assert.equal(hex(b, 336, 344), "0100000000000000"); // attrs[0].mask = 1
    assert.equal(hex(b, 560, 564), "01000000"); // num_lines = 1
    assert.equal(hex(b, 564, 568), "00000000"); // event_buffer_size = 0
    assert.equal(hex(b, 568, 592), "00".repeat(24)); // padding[5] + fd
  });
  it("round-trips and reads the fd the kernel writes", () => {
    const k = b.slice();
    new DataView(k.buffer).setInt32(588, 7, true);
    const d = decodeLineRequest(k).value;
    assert.equal(d.fd, 7);
    assert.equal(requestFd(k), 7);
    assert.deepEqual({ offsets: d.offsets, consumer: d.consumer, config: d.config }, req);
  });
  it("rejects 0 or 65 lines and a long consumer", () => {
    assert.throws(() => encodeLineRequest({ ...req, offsets: [] }), RangeError);
    assert.throws(() => encodeLineRequest({ ...req, offsets: Array.from({ length: 65 }, (_, i) => i) }), RangeError);
    assert.throws(() => encodeLineRequest({ ...req, consumer: "c".repeat(32) }), RangeError);
  });
  it("output values attribute sits in the union", () => {
    const c = encodeLineConfig({ flags: GPIO_V2_LINE_FLAG_OUTPUT, attrs: [{ attr: { id: GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, values: 1n }, mask: 1n }] });
    assert.equal(hex(c, 0, 8), "0800000000000000"); // flags = OUTPUT
    assert.equal(hex(c, 32, 56), "0200000000000000" + "0100000000000000" + "0100000000000000"); // id 2, values 1, mask 1
    assert.deepEqual(decodeLineConfig(c).value.attrs[0], { attr: { id: 2, values: 1n }, mask: 1n });
  });
  it("decodeLineConfig() rejects num_attrs > 10 and unknown attribute ids", () => {
    const c = new Uint8Array(272);
    new DataView(c.buffer).setUint32(8, 11, true);
    assert.throws(() => decodeLineConfig(c), GpioFrameError);
    new DataView(c.buffer).setUint32(8, 1, true);
    new DataView(c.buffer).setUint32(32, 9, true);
    assert.throws(() => decodeLineConfig(c), GpioFrameError);
  });
});

describe("struct gpio_v2_line_info", () => {
  const info = {
    name: "line7",
    consumer: "hog7",
    offset: 7,
    flags: GPIO_V2_LINE_FLAG_USED | GPIO_V2_LINE_FLAG_OUTPUT, // 0x9, as the v2test sample printed for a hog
    attrs: [{ id: GPIO_V2_LINE_ATTR_ID_FLAGS, flags: 0x9n } as const],
  };
  const b = encodeLineInfo(info);
  it("puts each field at its offset", () => {
    assert.equal(hex(b, 0, 6), "6c696e653700"); // name "line7\0"
    assert.equal(hex(b, 32, 37), "686f673700"); // consumer "hog7\0"
    assert.equal(hex(b, 64, 68), "07000000"); // offset
    assert.equal(hex(b, 68, 72), "01000000"); // num_attrs
    assert.equal(hex(b, 72, 80), "0900000000000000"); // flags
    assert.equal(hex(b, 80, 96), "01000000000000000900000000000000"); // attrs[0]: id FLAGS, flags 0x9
    assert.equal(hex(b, 240, 256), "00".repeat(16)); // padding[4]
  });
  it("round-trips", () => assert.deepEqual(decodeLineInfo(b).value, info));
  it("the query carries only the offset", () => {
    const q = encodeLineInfoQuery(5);
    assert.equal(q.length, 256);
    assert.equal(hex(q, 64, 68), "05000000");
    assert.equal(q.filter((x) => x !== 0).length, 1);
  });
  it("describeLineInfo() maps the flags", () => {
    const d = describeLineInfo("gpiochip0", { ...info, flags: info.flags | GPIO_V2_LINE_FLAG_ACTIVE_LOW });
    assert.equal(d.used, true);
    assert.equal(d.direction, "output");
    assert.equal(d.activeLow, true);
    assert.equal(d.consumer, "hog7");
  });
});

describe("struct gpio_v2_line_values", () => {
  it("golden bytes and round trip", () => {
    const b = encodeLineValues({ bits: 1n, mask: 3n });
    assert.equal(hex(b, 0, 16), "0100000000000000" + "0300000000000000"); // bits, mask
    assert.deepEqual(decodeLineValues(b).value, { bits: 1n, mask: 3n });
    assert.throws(() => decodeLineValues(b.subarray(0, 15)), GpioFrameError);
    assert.throws(() => encodeLineValues({ bits: -1n, mask: 1n }), RangeError);
  });
});

describe("struct gpio_v2_line_event", () => {
  const golden = Buffer.from(
    "0820495f01000000" + // timestamp_ns = 5893595144 (from the gpio-sim console sample)
      "01000000" + // id = RISING_EDGE
      "06000000" + // offset = 6
      "01000000" + // seqno
      "01000000" + // line_seqno
      "00".repeat(24), // padding[6]
    "hex",
  );
  const ev = { timestampNs: 5893595144n, id: 1, offset: 6, seqno: 1, lineSeqno: 1 };
  it("decodeLineEvent() reads the golden bytes", () => assert.deepEqual(decodeLineEvent(new Uint8Array(golden)), { value: ev, next: 48 }));
  it("encodeLineEvent() writes them", () => assert.deepEqual(Buffer.from(encodeLineEvent(ev)), golden));
  it("asks for more bytes at every split point", () => {
    for (let n = 0; n < 48; n++) assert.equal(decodeLineEvent(new Uint8Array(golden).subarray(0, n)), undefined);
  });
  it("decodes a stream of two", () => {
    const two = new Uint8Array(96);
    two.set(golden, 0);
    two.set(encodeLineEvent({ ...ev, id: 2, seqno: 2, lineSeqno: 2 }), 48);
    const a = decodeLineEvent(two, 0)!;
    const b = decodeLineEvent(two, a.next)!;
    assert.equal(b.value.id, 2);
    assert.equal(b.next, 96);
  });
  it("rejects an unknown event id", () => {
    const bad = new Uint8Array(golden);
    bad[8] = 3;
    assert.throws(() => decodeLineEvent(bad), GpioFrameError);
  });
});

describe("settings to flags", () => {
  it("flagsForSettings() for an input with pull-up and both edges", () => {
    assert.equal(flagsForSettings({ direction: "input", bias: "pull-up", edge: "both" }), 0x4n | 0x100n | 0x10n | 0x20n);
  });
  it("configForSettings() sets output values and debounce attributes", () => {
    assert.deepEqual(configForSettings({ direction: "output", initial: 1 }).attrs, [{ attr: { id: 2, values: 1n }, mask: 1n }]);
    assert.deepEqual(configForSettings({ direction: "input", edge: "rising", debounceMs: 20 }).attrs, [{ attr: { id: 3, debouncePeriodUs: 20000 }, mask: 1n }]);
    assert.equal(configForSettings({ direction: "input", edge: "falling" }).flags & GPIO_V2_LINE_FLAG_EDGE_FALLING, GPIO_V2_LINE_FLAG_EDGE_FALLING);
  });
});

describe("properties", () => {
  const name = fc.string({ maxLength: 31 }).filter((s) => !s.includes("\0") && new TextEncoder().encode(s).length <= 31);
  it("line info round-trips", () => {
    fc.assert(
      fc.property(name, name, fc.nat(0xffffffff), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n, c, off, flags) => {
        const v = { name: n, consumer: c, offset: off, flags, attrs: [] };
        assert.deepEqual(decodeLineInfo(encodeLineInfo(v)).value, v);
      }),
    );
  });
  it("line request round-trips", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 64 }), name, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (offsets, consumer, flags) => {
        const d = decodeLineRequest(encodeLineRequest({ offsets, consumer, config: { flags, attrs: [] } })).value;
        assert.deepEqual([d.offsets, d.consumer, d.config.flags], [offsets, consumer, flags]);
      }),
    );
  });
  it("arbitrary bytes give a value or a DiscoError, never a crash", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(700), (bytes, at) => {
        for (const f of [decodeChipInfo, decodeLineInfo, decodeLineRequest, decodeLineConfig, decodeLineValues, decodeLineEvent]) {
          try {
            f(bytes, at);
          } catch (err) {
            assert.ok(err instanceof DiscoError, String(err));
          }
        }
      }),
    );
  });
});
