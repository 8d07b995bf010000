/** Errors of the MQTT bridge. */
import { DiscoError } from "../errors.ts";

/** A command payload the bridge cannot apply (unknown line, not remote, bad value). */
export class MqttCommandError extends DiscoError {
  override name = "MqttCommandError";
  /** Why, for counters: `unknown-line`, `not-remote`, `bad-value`, `retained`. */
  readonly reason: "unknown-line" | "not-remote" | "bad-value" | "retained";
  constructor(reason: MqttCommandError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}
