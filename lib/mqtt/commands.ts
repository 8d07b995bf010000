/**
 * Command payloads at `<prefix>/<host>/gpio/<name>/set`: `ON`/`OFF` or `1`/`0` for an output, a duty in
 * percent (0 to 100) for PWM. Only lines with `remote = true` take them. Pure.
 */
import type { GpioLineView } from "../http/index.ts";
import { MqttCommandError } from "./errors.ts";

const MAX_PAYLOAD = 32;

/**
 * Parses a command for a line.
 * @returns the value to write: 0/1 for an output, the duty 0..1 for PWM
 * @throws {MqttCommandError} `unknown-line`, `not-remote` or `bad-value`
 */
export function parseCommand(line: GpioLineView | undefined, payload: Uint8Array): number {
  if (!line) throw new MqttCommandError("unknown-line", "no such line on this host");
  if (!line.remote || line.kind === "input") throw new MqttCommandError("not-remote", `${line.name} does not take remote writes (remote = true is not set)`);
  if (payload.length > MAX_PAYLOAD) throw new MqttCommandError("bad-value", "command payload too long");
  const text = new TextDecoder().decode(payload).trim();
  if (line.kind === "pwm") {
    if (!/^\d{1,3}(\.\d+)?$/.test(text)) throw new MqttCommandError("bad-value", `expected a duty from 0 to 100, got ${JSON.stringify(text)}`);
    const pct = Number(text);
    if (pct > 100) throw new MqttCommandError("bad-value", `expected a duty from 0 to 100, got ${text}`);
    return pct / 100;
  }
  switch (text.toUpperCase()) {
    case "ON":
    case "1":
      return 1;
    case "OFF":
    case "0":
      return 0;
    default:
      throw new MqttCommandError("bad-value", `expected ON, OFF, 1 or 0, got ${JSON.stringify(text)}`);
  }
}
