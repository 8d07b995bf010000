/**
 * The remote-control builder: `[control]` + `[[query]]` + the declared GPIO names + the keys -> a bound
 * control endpoint serving remote GPIO (through the gpio task's lines, `ctx.gpio`) and fleet queries.
 */
import type { ControlConfig, GpioConfig } from "../config/index.ts";
import { CONTROL_PURPOSE, hasControlToServe, serveControl, type ControlServer } from "../control/index.ts";
import { createKeyring } from "../crypto/index.ts";
import { startBound } from "./_bound.ts";
import type { Builder } from "./types.ts";

/** What the control endpoint depends on. */
export interface ControlSlice {
  readonly control: ControlConfig;
  /** The declared lines (names, kinds, `remote`); the lines themselves are the gpio task's. */
  readonly gpio: GpioConfig;
  readonly magic: string;
  readonly listen: string;
  readonly hidden: boolean;
  readonly host: string;
  readonly rawKeys: readonly Uint8Array<ArrayBuffer>[];
}

/**
 * Serves remote GPIO and `[[query]]` when the config declares either, `[control] enabled`, and the fleet
 * has a key: without one every request would be refused, so the daemon opens no socket for it
 * (`disco-server` still answers such requests with the refusal that says why).
 */
export const controlBuilder: Builder<ControlSlice> = {
  name: "control",
  slice: ({ config, host, secrets }) =>
    hasControlToServe(config) && secrets.rawKeys.length > 0
      ? { control: config.control, gpio: config.gpio, magic: config.discovery.magic, listen: config.discovery.listen, hidden: config.discovery.hidden, host, rawKeys: secrets.rawKeys }
      : undefined,
  conflicts: (a, b) => a.control.port === b.control.port,
  async prepare(slice, ctx) {
    const keyring = await createKeyring(slice.rawKeys, CONTROL_PURPOSE);
    let server: ControlServer | undefined;
    const task = await startBound((signal, ready) =>
      serveControl({
        signal,
        config: slice.control,
        magic: slice.magic,
        listen: slice.listen,
        keyring,
        hidden: slice.hidden,
        ...(slice.gpio.enabled && { gpio: { config: slice.gpio, lines: () => ctx.gpio.get() } }),
        env: ctx.hookEnv,
        host: slice.host,
        onServer: (s) => void (server = s),
        onListening: (address, port) => {
          ctx.log.info(`control: serving on ${address}:${port} (${slice.gpio.enabled ? "gpio" : "no gpio"}, ${slice.control.queries.length} queries)`, { task: "control", address, port });
          ready();
        },
        onEvent: (e) => {
          if (e.type === "write") ctx.log.info(`control: remote write ${e.name} = ${e.value}`, { task: "control", source: `${e.who.address}:${e.who.port}`, key: e.who.keyId });
          else if (e.type === "query") ctx.log.info(`control: query ${e.name}`, { task: "control", source: `${e.who.address}:${e.who.port}`, key: e.who.keyId, exit: String(e.outcome.body["exitCode"]) });
          else if (e.type === "refused") ctx.log.warn(`control: refused ${e.op}: ${e.status}`, { task: "control", source: `${e.who.address}:${e.who.port}`, key: e.who.keyId, ...(e.message !== undefined && { why: e.message }) });
        },
      }),
    );
    return { ...task, counters: () => ({ ...(server?.counters ?? {}) }) };
  },
};
