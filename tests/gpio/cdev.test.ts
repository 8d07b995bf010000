/**
 * Host-side checks of the cdev driver's FFI and error paths (the full contract runs on gpio-sim in the VM).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CdevGpio, ChipNotFoundError, GpioError, monotonicNs } from "../../lib/gpio/index.ts";

describe("CdevGpio without a kernel chip", () => {
  it("an ioctl on a file that is not a gpiochip reports ENOTTY through errno", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-cdev-"));
    writeFileSync(join(dir, "gpiochip0"), "");
    const d = new CdevGpio({ devDir: dir });
    await assert.rejects(d.chip("gpiochip0"), (e) => e instanceof GpioError && e.errno === "ENOTTY" && e.chip === "gpiochip0");
    await d.close();
  });
  it("a missing chip is ChipNotFoundError listing the chips that exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-cdev-"));
    writeFileSync(join(dir, "gpiochip2"), "");
    const d = new CdevGpio({ devDir: dir });
    await assert.rejects(d.request("gpiochip0", 1, { direction: "input" }), (e) => e instanceof ChipNotFoundError && e.available.join() === "gpiochip2");
    await d.close();
  });
  it("monotonicNs() is CLOCK_MONOTONIC in nanoseconds and moves forward", () => {
    const a = monotonicNs();
    const b = monotonicNs();
    assert.ok(b >= a);
    const uptimeS = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    // CLOCK_MONOTONIC counts from boot (minus suspend): within a few seconds of /proc/uptime here.
    assert.ok(Math.abs(Number(a) / 1e9 - uptimeS) < 5, `${Number(a) / 1e9} s vs uptime ${uptimeS} s`);
  });
});
