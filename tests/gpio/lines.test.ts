import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeGpioInterfaces, FakeGpio, inputChangeMetric, LineBusyError, monotonicNs, openLines, startSoftPwm, type InputChange } from "../../lib/gpio/index.ts";
import { nextEvent } from "./_contract.ts";

const next = (it: AsyncIterator<InputChange>) => nextEvent(it, "input change");

describe("openLines()", () => {
  it("opens declared lines by name; a busy line is a failure and the others work", async () => {
    const fake = new FakeGpio();
    const other = await fake.request("gpiochip0", 4, { direction: "output", consumer: "someone" });
    await using lines = await openLines(fake, {
      outputs: [{ name: "pump", chip: "gpiochip0", line: 1, initial: 1 }, { name: "taken", chip: "gpiochip0", line: 4 }],
      inputs: [{ name: "door", chip: "gpiochip0", line: 2, edge: "both" }, { name: "float", chip: "gpiochip0", line: 3, scanIntervalMs: 5 }],
    });
    assert.equal(fake.physical("gpiochip0", 1), 1);
    assert.equal(lines.failures.length, 1);
    assert.equal(lines.failures[0]!.name, "taken");
    assert.ok(lines.failures[0]!.error instanceof LineBusyError);
    assert.equal((lines.failures[0]!.error as LineBusyError).consumer, "someone");
    const ac = new AbortController();
    const it = lines.changes(ac.signal)[Symbol.asyncIterator]();
    const initial = [await next(it), await next(it)].map((c) => `${c.name}=${c.value}/${c.cause}`).sort();
    assert.deepEqual(initial, ["door=0/initial", "float=0/initial"]);
    fake.setPull("gpiochip0", 2, 1);
    const e = await next(it);
    assert.deepEqual([e.name, e.value, e.cause], ["door", 1, "rising"]);
    assert.deepEqual(inputChangeMetric(e), { "gpio.door": "1" });
    fake.setPull("gpiochip0", 3, 1);
    const s = await next(it);
    assert.deepEqual([s.name, s.value, s.cause], ["float", 1, "scan"]);
    ac.abort();
    await other.close();
  });
});

describe("reporting hooks", () => {
  it("inputChangeMetric() gives the metric key and a 0/1 string", () => {
    assert.deepEqual(inputChangeMetric({ name: "float", value: 0 }), { "gpio.float": "0" });
  });
  it("describeGpioInterfaces() lists inputs, outputs and pwm by name", () => {
    assert.deepEqual(
      describeGpioInterfaces({
        inputs: [{ name: "door", chip: "gpiochip0", line: 22 }],
        outputs: [{ name: "pump_drive", chip: "gpiochip0", line: 25 }],
        pwms: [{ name: "sonar_angle", line: 18, periodMs: 20, duty: 0.2 }],
      }),
      [
        { name: "door", direction: "in" },
        { name: "pump_drive", direction: "out" },
        { name: "sonar_angle", direction: "pwm" },
      ],
    );
  });
});

describe("startSoftPwm()", () => {
  it("toggles the line each period and leaves it low when closed", async () => {
    const fake = new FakeGpio();
    const h = await fake.request("gpiochip0", 0, { direction: "output" });
    const starts: bigint[] = [];
    let done!: () => void;
    const five = new Promise<void>((r) => (done = r));
    const levels: number[] = [];
    const origin = monotonicNs();
    const pwm = startSoftPwm(h, {
      periodMs: 5,
      duty: 0.5,
      onPeriodStart: (t) => {
        levels.push(fake.physical("gpiochip0", 0));
        if (starts.push(t) === 5) done();
      },
    });
    await five;
    await pwm.close();
    assert.equal(fake.physical("gpiochip0", 0), 0);
    assert.deepEqual(levels, [1, 1, 1, 1, 1], "high at every period start");
    // Periods sit on a grid from the start that only ever moves later (a late timer restarts it), so the
    // k-th period never starts before k periods have passed, however loaded the machine. The 1 ms allows
    // for timers rounding to whole milliseconds.
    starts.forEach((t, k) => assert.ok(Number(t - origin) / 1e6 >= k * 5 - 1, `period ${k} started ${Number(t - origin) / 1e6} ms after the start`));
    await assert.rejects(pwm.setDuty(1.5));
  });
});
