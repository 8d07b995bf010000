import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeGpio, GpioError, GpioValueError, openHardwarePwm, startSoftPwm } from "../../lib/gpio/index.ts";

function pwmTree(): { root: string; ch: string } {
  const root = mkdtempSync(join(tmpdir(), "disco-pwm-"));
  const chip = join(root, "class/pwm/pwmchip0");
  const ch = join(chip, "pwm1");
  mkdirSync(ch, { recursive: true });
  for (const f of ["export", "unexport"]) writeFileSync(join(chip, f), "");
  for (const f of ["period", "duty_cycle", "enable"]) writeFileSync(join(ch, f), "0");
  return { root, ch };
}

describe("openHardwarePwm() over a temp /sys/class/pwm", () => {
  it("sets period and duty in nanoseconds, enables, changes duty, disables on close", async () => {
    const { root, ch } = pwmTree();
    const read = (f: string) => readFileSync(join(ch, f), "utf8");
    const pwm = await openHardwarePwm(0, 1, { root, periodMs: 20, duty: 0.25 });
    assert.deepEqual([read("period"), read("duty_cycle"), read("enable")], ["20000000", "5000000", "1"]);
    await pwm.setDuty(0.5);
    assert.equal(read("duty_cycle"), "10000000");
    await assert.rejects(pwm.setDuty(-0.1), GpioValueError);
    await pwm.close();
    assert.equal(read("enable"), "0");
  });
  it("a missing pwmchip says how to enable one", async () => {
    const { root } = pwmTree();
    await assert.rejects(openHardwarePwm(3, 0, { root, periodMs: 20, duty: 0.1 }), (e) => e instanceof GpioError && /pwmchip3/.test(e.message) && /dtoverlay=pwm/.test(e.message));
  });
});

describe("startSoftPwm() edge cases", () => {
  it("duty 1 holds the line high, duty 0 low, and an input is refused", async () => {
    const fake = new FakeGpio();
    const out = await fake.request("gpiochip0", 1, { direction: "output" });
    const hi = startSoftPwm(out, { periodMs: 10, duty: 1 });
    assert.equal(fake.physical("gpiochip0", 1), 1);
    await hi.setDuty(0);
    await hi.close();
    assert.equal(fake.physical("gpiochip0", 1), 0);
    const inp = await fake.request("gpiochip0", 2, { direction: "input" });
    assert.throws(() => startSoftPwm(inp, { periodMs: 10, duty: 0.5 }), GpioValueError);
    assert.throws(() => startSoftPwm(out, { periodMs: 0, duty: 0.5 }), GpioValueError);
    await fake.close();
  });
});
