import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/index.ts";
import { configError } from "./_problems.ts";

function problems(text: string): { key: string; line?: number; message: string }[] {
  return [...configError(text).problems];
}

const ISSUE_EXAMPLE = `
[[gpio.output]]
name = "pump_drive"
line = 25
initial = 0

[[gpio.pwm]]
name = "sonar_angle"
line = 18
period_ms = 20
duty = 0.2

[[gpio.input]]
name = "door"
line = 22
bias = "pull-down"
edge = "both"
debounce_ms = 20

[[gpio.input]]
name = "float"
line = 17
scan_interval = "1s"
`;

describe("readGpio()", () => {
  it("reads the issue's example with defaults", () => {
    const g = parseConfig(ISSUE_EXAMPLE).gpio;
    assert.equal(g.driver, "auto");
    assert.equal(g.enabled, true);
    assert.deepEqual(g.outputs, [{ name: "pump_drive", chip: "gpiochip0", line: 25, activeLow: false, drive: "push-pull", initial: 0, remote: false }]);
    assert.deepEqual(g.pwms, [{ name: "sonar_angle", chip: "gpiochip0", line: 18, activeLow: false, periodMs: 20, duty: 0.2, remote: false }]);
    assert.deepEqual(g.inputs, [
      { name: "door", chip: "gpiochip0", line: 22, activeLow: false, bias: "pull-down", edge: "both", debounceMs: 20 },
      { name: "float", chip: "gpiochip0", line: 17, activeLow: false, bias: "as-is", edge: "none", debounceMs: 0, scanIntervalMs: 1000 },
    ]);
  });
  it("an empty config has no lines and driver auto", () => {
    const g = parseConfig("").gpio;
    assert.deepEqual([g.enabled, g.driver, g.outputs.length, g.inputs.length, g.pwms.length], [false, "auto", 0, 0, 0]);
  });
  it("hardware PWM takes pwmchip + channel", () => {
    const g = parseConfig(`[[gpio.pwm]]\nname = "fan"\npwmchip = 0\nchannel = 1\nperiod_ms = 0.04\nduty = 0.5\n`).gpio;
    assert.deepEqual(g.pwms, [{ name: "fan", pwmchip: 0, channel: 1, activeLow: false, periodMs: 0.04, duty: 0.5, remote: false }]);
  });
  it("reports a duplicate name with its key and line", () => {
    const p = problems(`[[gpio.output]]\nname = "a"\nline = 1\n\n[[gpio.input]]\nname = "a"\nline = 2\n`);
    assert.deepEqual(p.map((x) => [x.key, x.line]), [["gpio.input[0].name", 6]]);
    assert.match(p[0]!.message, /duplicate name 'a'/);
  });
  it("reports the same line claimed twice", () => {
    const p = problems(`[[gpio.output]]\nname = "a"\nline = 5\n\n[[gpio.pwm]]\nname = "b"\nline = 5\nperiod_ms = 20\n`);
    assert.deepEqual(p.map((x) => [x.key, x.line]), [["gpio.pwm[0].line", 7]]);
    assert.match(p[0]!.message, /gpiochip0 line 5 is already claimed by 'a'/);
  });
  it("the same offset on another chip is fine", () => {
    parseConfig(`[[gpio.output]]\nname = "a"\nline = 5\n[[gpio.output]]\nname = "b"\nchip = "gpiochip1"\nline = 5\n`);
  });
  it("reports impossible combinations, each with its key", () => {
    const p = problems(
      [
        `[[gpio.output]]`, `name = "o"`, `line = 1`, `edge = "both"`, // 4
        `[[gpio.input]]`, `name = "i"`, `line = 2`, `debounce_ms = 20`, // 8
        `[[gpio.input]]`, `name = "j"`, `line = 3`, `edge = "rising"`, `scan_interval = "1s"`, // 13
        `[[gpio.pwm]]`, `name = "p"`, `line = 4`, `pwmchip = 0`, `channel = 0`, `period_ms = 20`, // 17
        `[[gpio.input]]`, `name = "k"`, `line = 6`, `initial = 1`, // 23
      ].join("\n"),
    );
    assert.deepEqual(
      p.map((x) => [x.key, x.line]).sort((a, b) => Number(a[1]) - Number(b[1])),
      [
        ["gpio.output[0].edge", 4],
        ["gpio.input[0].debounce_ms", 8],
        ["gpio.input[1].scan_interval", 13],
        ["gpio.pwm[0].pwmchip", 17],
        ["gpio.input[2].initial", 23],
      ],
    );
  });
  it("reports bad values and unknown keys", () => {
    const p = problems(`[gpio]\ndriver = "gpiod"\n[[gpio.input]]\nname = "x y"\nline = -1\nbias = "up"\npin = 3\n`);
    const keys = p.map((x) => x.key).sort();
    assert.deepEqual(keys, ["gpio.driver", "gpio.input[0].bias", "gpio.input[0].line", "gpio.input[0].name", "gpio.input[0].pin"]);
  });
  it("the unknown-key hint of an input lists input keys only", () => {
    const [p] = configError(`[[gpio.input]]\nname = "a"\nline = 3\npin = 3\n`).problems;
    assert.equal(p?.message, "unknown key (expected one of: active_low, bias, chip, debounce_ms, edge, line, name, scan_interval)");
  });
  it("a PWM needs a line or a pwmchip, and a period", () => {
    const p = problems(`[[gpio.pwm]]\nname = "p"\nduty = 2\n`);
    assert.deepEqual(p.map((x) => x.key).sort(), ["gpio.pwm[0].duty", "gpio.pwm[0].line", "gpio.pwm[0].period_ms"]);
  });
});

describe("config.example.toml [gpio]", () => {
  it("parses as shipped, and its commented examples parse when uncommented", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../config.example.toml", import.meta.url), "utf8");
    assert.equal(parseConfig(text).gpio.driver, "auto");
    const section = text.slice(text.indexOf("[gpio]"));
    const end = section.search(/^\[(?!gpio|\[gpio)/m);
    const gpioText = (end > 0 ? section.slice(0, end) : section).replace(
      /^# (\[\[gpio|name|chip|line|active_low|drive|initial|period_ms|duty|bias|edge|debounce_ms|scan_interval)\b/gm,
      "$1",
    );
    const g = parseConfig(gpioText).gpio;
    assert.deepEqual([g.outputs.length, g.pwms.length, g.inputs.length], [1, 1, 2]);
  });
});

describe("readGpio() remote flag", () => {
  it("outputs and PWM default to remote = false and accept remote = true", () => {
    const c = parseConfig('[[gpio.output]]\nname = "a"\nline = 1\n[[gpio.output]]\nname = "b"\nline = 2\nremote = true\n[[gpio.pwm]]\nname = "p"\nline = 3\nperiod_ms = 20\nremote = true\n');
    assert.deepEqual(c.gpio.outputs.map((o) => o.remote), [false, true]);
    assert.equal(c.gpio.pwms[0]?.remote, true);
  });
  it("inputs refuse remote (only outputs and PWM take remote writes)", () => {
    assert.throws(() => parseConfig('[[gpio.input]]\nname = "d"\nline = 1\nremote = true\n'), /remote.*outputs or PWM/);
  });
});
