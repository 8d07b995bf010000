/**
 * Remote GPIO over a host's opened lines: reads of every declared line for any key holder, writes only to
 * outputs and PWM lines declared `remote = true`, values checked before a challenge is issued and again
 * before the write.
 */
import type { GpioConfig } from "../config/index.ts";
import type { GpioLines } from "../gpio/index.ts";
import type { Outcome, RemoteGpio } from "./server.ts";

/** The opened lines, or a getter for them (the daemon's lines may be reopened by a reload). */
export type LinesSource = GpioLines | (() => GpioLines | undefined);

function failed(err: unknown): Outcome {
  return { status: "failed", body: { message: err instanceof Error ? err.message : String(err) } };
}

/**
 * Serves `config`'s declared lines through `lines`.
 * @param config `[gpio]` (names, kinds, `remote`)
 * @param lines the lines `openLines(driver, config)` opened
 * @returns the remote GPIO handler for {@link ControlServer}
 */
export function createRemoteGpio(config: GpioConfig, lines: LinesSource): RemoteGpio {
  const current = typeof lines === "function" ? lines : () => lines;
  const declared = (name: string) => {
    const o = config.outputs.find((x) => x.name === name);
    if (o) return { kind: "output" as const, remote: o.remote };
    const p = config.pwms.find((x) => x.name === name);
    if (p) return { kind: "pwm" as const, remote: p.remote };
    const i = config.inputs.find((x) => x.name === name);
    if (i) return { kind: "input" as const, remote: false };
    return undefined;
  };
  const names = () => [...config.outputs, ...config.pwms, ...config.inputs].map((x) => x.name);
  const unknown = (name: string): Outcome => ({ status: "unknown-line", body: { message: `no line '${name}' is declared on this host (declared: ${names().join(", ") || "none"})` } });
  const notOpen = (name: string): Outcome => ({ status: "failed", body: { message: `line '${name}' is declared but not open on this host (see its log)` } });

  const read = async (name: string): Promise<Outcome> => {
    const d = declared(name);
    const l = current();
    if (!d) return unknown(name);
    if (!l) return notOpen(name);
    try {
      if (d.kind === "pwm") {
        const p = l.pwms.get(name);
        return p ? { status: "ok", body: { name, kind: d.kind, duty: p.duty, remote: d.remote } } : notOpen(name);
      }
      const h = d.kind === "output" ? l.outputs.get(name) : l.inputs.get(name)?.handle;
      return h ? { status: "ok", body: { name, kind: d.kind, value: await h.read(), remote: d.remote } } : notOpen(name);
    } catch (err) {
      return failed(err);
    }
  };

  return {
    async info() {
      const out: Record<string, unknown>[] = [];
      for (const name of names()) {
        const r = await read(name);
        out.push(r.status === "ok" ? r.body : { name, kind: declared(name)!.kind, remote: declared(name)!.remote, error: r.body["message"] });
      }
      return { status: "ok", body: { lines: out } };
    },
    get: read,
    checkSet(name, value) {
      const d = declared(name);
      if (!d) return unknown(name);
      if (d.kind === "input") return { status: "not-remote", body: { message: `'${name}' is an input; only outputs and PWM lines can be set` } };
      if (!d.remote) return { status: "not-remote", body: { message: `'${name}' does not accept remote writes (set remote = true on its [[gpio.${d.kind}]] on that host)` } };
      if (d.kind === "output" && value !== 0 && value !== 1) return { status: "bad-value", body: { message: `an output takes 0 or 1, got ${value}` } };
      if (d.kind === "pwm" && !(value >= 0 && value <= 1)) return { status: "bad-value", body: { message: `a PWM duty is between 0 and 1, got ${value}` } };
      return undefined;
    },
    async set(name, value) {
      const refusal = this.checkSet(name, value);
      if (refusal) return refusal;
      const l = current();
      if (!l) return notOpen(name);
      try {
        if (declared(name)!.kind === "pwm") {
          const p = l.pwms.get(name);
          if (!p) return notOpen(name);
          await p.setDuty(value);
          return { status: "ok", body: { name, kind: "pwm", duty: p.duty } };
        }
        const h = l.outputs.get(name);
        if (!h) return notOpen(name);
        await h.write(value as 0 | 1);
        return { status: "ok", body: { name, kind: "output", value } };
      } catch (err) {
        return failed(err);
      }
    },
  };
}
