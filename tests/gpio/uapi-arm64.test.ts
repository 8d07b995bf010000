/**
 * The GPIO uAPI on arm64: struct sizes, field offsets and ioctl numbers from <linux/gpio.h> compiled for
 * arm64 (tests/gpio/arm64/uapi-probe.c, aarch64-linux-gnu-gcc, run under qemu-user) are pinned here as
 * golden values, and what lib/gpio/uapi.ts encodes when it runs on the arm64 build of Bun
 * (tests/gpio/arm64/uapi-probe.ts under qemu-user) must put every field where that header says.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../_bin.ts";
import { buildArm64, qemuUserUnavailable, underQemu } from "../_qemu.ts";

const CC = "aarch64-linux-gnu-gcc";
const why = qemuUserUnavailable() ?? (Bun.which(CC) ? undefined : `arm64 uAPI test skipped: no ${CC} (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross)`);
if (why) console.log(why);

/** linux/gpio.h on arm64 (Debian 12's linux-libc-dev-arm64-cross), as the probe printed it. */
const GOLDEN: Record<string, number> = {
  "sizeof(struct gpiochip_info)": 68,
  "sizeof(struct gpio_v2_line_attribute)": 16,
  "sizeof(struct gpio_v2_line_config_attribute)": 24,
  "sizeof(struct gpio_v2_line_config)": 272,
  "sizeof(struct gpio_v2_line_request)": 592,
  "sizeof(struct gpio_v2_line_info)": 256,
  "sizeof(struct gpio_v2_line_values)": 16,
  "sizeof(struct gpio_v2_line_event)": 48,
  "offsetof(struct gpiochip_info,name)": 0,
  "offsetof(struct gpiochip_info,label)": 32,
  "offsetof(struct gpiochip_info,lines)": 64,
  "offsetof(struct gpio_v2_line_attribute,id)": 0,
  "offsetof(struct gpio_v2_line_attribute,flags)": 8,
  "offsetof(struct gpio_v2_line_attribute,values)": 8,
  "offsetof(struct gpio_v2_line_attribute,debounce_period_us)": 8,
  "offsetof(struct gpio_v2_line_config_attribute,attr)": 0,
  "offsetof(struct gpio_v2_line_config_attribute,mask)": 16,
  "offsetof(struct gpio_v2_line_config,flags)": 0,
  "offsetof(struct gpio_v2_line_config,num_attrs)": 8,
  "offsetof(struct gpio_v2_line_config,attrs)": 32,
  "offsetof(struct gpio_v2_line_request,offsets)": 0,
  "offsetof(struct gpio_v2_line_request,consumer)": 256,
  "offsetof(struct gpio_v2_line_request,config)": 288,
  "offsetof(struct gpio_v2_line_request,num_lines)": 560,
  "offsetof(struct gpio_v2_line_request,event_buffer_size)": 564,
  "offsetof(struct gpio_v2_line_request,fd)": 588,
  "offsetof(struct gpio_v2_line_info,name)": 0,
  "offsetof(struct gpio_v2_line_info,consumer)": 32,
  "offsetof(struct gpio_v2_line_info,offset)": 64,
  "offsetof(struct gpio_v2_line_info,num_attrs)": 68,
  "offsetof(struct gpio_v2_line_info,flags)": 72,
  "offsetof(struct gpio_v2_line_info,attrs)": 80,
  "offsetof(struct gpio_v2_line_values,bits)": 0,
  "offsetof(struct gpio_v2_line_values,mask)": 8,
  "offsetof(struct gpio_v2_line_event,timestamp_ns)": 0,
  "offsetof(struct gpio_v2_line_event,id)": 8,
  "offsetof(struct gpio_v2_line_event,offset)": 12,
  "offsetof(struct gpio_v2_line_event,seqno)": 16,
  "offsetof(struct gpio_v2_line_event,line_seqno)": 20,
  GPIO_GET_CHIPINFO_IOCTL: 0x8044b401,
  GPIO_GET_LINEINFO_UNWATCH_IOCTL: 0xc004b40c,
  GPIO_V2_GET_LINEINFO_IOCTL: 0xc100b405,
  GPIO_V2_GET_LINEINFO_WATCH_IOCTL: 0xc100b406,
  GPIO_V2_GET_LINE_IOCTL: 0xc250b407,
  GPIO_V2_LINE_SET_CONFIG_IOCTL: 0xc110b40d,
  GPIO_V2_LINE_GET_VALUES_IOCTL: 0xc010b40e,
  GPIO_V2_LINE_SET_VALUES_IOCTL: 0xc010b40f,
};

function lines(text: string): Map<string, string> {
  return new Map(text.trim().split("\n").map((l) => [l.slice(0, l.lastIndexOf(" ")), l.slice(l.lastIndexOf(" ") + 1)] as const));
}

describe("GPIO uAPI on arm64 (linux/gpio.h for aarch64, the code on arm64 Bun under qemu-user)", { skip: why }, () => {
  let kernel = new Map<string, string>();
  let code = new Map<string, string>();
  // A test, not a before(): bun's node:test hooks take no timeout option (qemu-user is slow).
  it("the probes compile and run under qemu-user", { timeout: 180_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-uapi-arm64-"));
    try {
      const probe = join(dir, "probe");
      const cc = Bun.spawnSync([CC, "-O2", "-o", probe, join(ROOT, "tests/gpio/arm64/uapi-probe.c")], { stdout: "pipe", stderr: "pipe" });
      assert.equal(cc.exitCode, 0, cc.stderr.toString());
      const k = Bun.spawnSync(underQemu(probe), { stdout: "pipe", stderr: "pipe" });
      assert.equal(k.exitCode, 0, k.stderr.toString());
      kernel = lines(k.stdout.toString());
      const js = join(dir, "probe.js");
      const b = Bun.spawnSync([process.execPath, "build", "--target=bun", join(ROOT, "tests/gpio/arm64/uapi-probe.ts"), "--outfile", js], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      assert.equal(b.exitCode, 0, b.stderr.toString());
      const c = Bun.spawnSync(underQemu(buildArm64(), js), { env: { ...process.env, BUN_BE_BUN: "1" }, stdout: "pipe", stderr: "pipe" });
      assert.equal(c.exitCode, 0, c.stderr.toString());
      code = lines(c.stdout.toString());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the code ran on arm64", () => assert.equal(code.get("arch"), "arm64"));
  it("the arm64 header's sizes, offsets and ioctl numbers are the golden values", () => {
    assert.deepEqual(Object.fromEntries([...kernel].map(([k, v]) => [k, Number(v)])), GOLDEN);
  });
  it("the sizes and ioctl numbers the code uses on arm64 are the header's", () => {
    for (const [k, v] of Object.entries(GOLDEN)) if (!k.startsWith("offsetof")) assert.equal(Number(code.get(k)), v, k);
  });

  const at = (struct: string, field: string) => GOLDEN[`offsetof(struct ${struct},${field})`] ?? assert.fail(`no offset for ${struct}.${field}`);
  const buf = (name: string) => Buffer.from(code.get(name) ?? "", "hex");
  it("struct gpiochip_info: every field where the header puts it", () => {
    const b = buf("chip");
    assert.equal(b.length, GOLDEN["sizeof(struct gpiochip_info)"]);
    assert.equal(b[at("gpiochip_info", "name")], "N".charCodeAt(0));
    assert.equal(b[at("gpiochip_info", "label")], "L".charCodeAt(0));
    assert.equal(b.readUInt32LE(at("gpiochip_info", "lines")), 0x0a0b0c0d);
  });
  it("struct gpio_v2_line_request (with its line_config and attributes): every field where the header puts it", () => {
    const b = buf("request");
    assert.equal(b.length, GOLDEN["sizeof(struct gpio_v2_line_request)"]);
    const offs = at("gpio_v2_line_request", "offsets");
    assert.deepEqual([b.readUInt32LE(offs), b.readUInt32LE(offs + 4)], [0x11, 0x12]);
    assert.equal(b[at("gpio_v2_line_request", "consumer")], "C".charCodeAt(0));
    assert.equal(b.readUInt32LE(at("gpio_v2_line_request", "num_lines")), 2);
    assert.equal(b.readUInt32LE(at("gpio_v2_line_request", "event_buffer_size")), 0x77);
    const cfg = at("gpio_v2_line_request", "config");
    assert.equal(b.readBigUInt64LE(cfg + at("gpio_v2_line_config", "flags")), 0x2233n);
    assert.equal(b.readUInt32LE(cfg + at("gpio_v2_line_config", "num_attrs")), 3);
    const attrs = cfg + at("gpio_v2_line_config", "attrs");
    const size = GOLDEN["sizeof(struct gpio_v2_line_config_attribute)"] ?? 0;
    const attr = (i: number) => attrs + i * size + at("gpio_v2_line_config_attribute", "attr");
    const mask = (i: number) => attrs + i * size + at("gpio_v2_line_config_attribute", "mask");
    assert.deepEqual(
      [0, 1, 2].map((i) => [b.readUInt32LE(attr(i) + at("gpio_v2_line_attribute", "id")), b.readBigUInt64LE(attr(i) + at("gpio_v2_line_attribute", "values")), b.readBigUInt64LE(mask(i))]),
      [[3, 0x4455n, 0x66n], [2, 0x99n, 0xaan], [1, 0xbbn, 0xccn]],
    );
    assert.equal(b.readUInt32LE(attr(0) + at("gpio_v2_line_attribute", "debounce_period_us")), 0x4455);
  });
  it("struct gpio_v2_line_info: every field where the header puts it", () => {
    const b = buf("info");
    assert.equal(b.length, GOLDEN["sizeof(struct gpio_v2_line_info)"]);
    assert.equal(b[at("gpio_v2_line_info", "name")], "N".charCodeAt(0));
    assert.equal(b[at("gpio_v2_line_info", "consumer")], "C".charCodeAt(0));
    assert.equal(b.readUInt32LE(at("gpio_v2_line_info", "offset")), 0x31);
    assert.equal(b.readUInt32LE(at("gpio_v2_line_info", "num_attrs")), 1);
    assert.equal(b.readBigUInt64LE(at("gpio_v2_line_info", "flags")), 0x3233n);
    const a = at("gpio_v2_line_info", "attrs");
    assert.equal(b.readUInt32LE(a + at("gpio_v2_line_attribute", "id")), 3);
    assert.equal(b.readUInt32LE(a + at("gpio_v2_line_attribute", "debounce_period_us")), 0x3435);
  });
  it("struct gpio_v2_line_values and gpio_v2_line_event: every field where the header puts it", () => {
    const v = buf("values");
    assert.equal(v.length, GOLDEN["sizeof(struct gpio_v2_line_values)"]);
    assert.equal(v.readBigUInt64LE(at("gpio_v2_line_values", "bits")), 0x4142n);
    assert.equal(v.readBigUInt64LE(at("gpio_v2_line_values", "mask")), 0x4344n);
    const e = buf("event");
    assert.equal(e.length, GOLDEN["sizeof(struct gpio_v2_line_event)"]);
    assert.equal(e.readBigUInt64LE(at("gpio_v2_line_event", "timestamp_ns")), 0x5152535455n);
    assert.equal(e.readUInt32LE(at("gpio_v2_line_event", "id")), 2);
    assert.equal(e.readUInt32LE(at("gpio_v2_line_event", "offset")), 0x56);
    assert.equal(e.readUInt32LE(at("gpio_v2_line_event", "seqno")), 0x57);
    assert.equal(e.readUInt32LE(at("gpio_v2_line_event", "line_seqno")), 0x58);
  });
});
