/**
 * The GPIO builder: the declared lines opened and held (outputs at their initial level, PWM running) until
 * the daemon stops, input changes published as metrics and fanned out to the daemon's subscribers. A config
 * with only outputs or PWM holds its lines; the task does not end when there is nothing to watch.
 */
import type { GpioConfig } from "../config/index.ts";
import { findMissingChips, GpioError, inputChangeMetric, openLines, selectDriver } from "../gpio/index.ts";
import { createMetric, MetricsPublisher, type Metric } from "../metrics/index.ts";
import { sameSliceExcept } from "./plan.ts";
import type { Builder } from "./types.ts";

/** What the GPIO task depends on. */
export interface GpioSlice {
  readonly host: string;
  readonly gpio: GpioConfig;
  /**
   * Where input changes are published, when metrics are enabled: into this daemon's own proxy (`local`), or
   * to the frontend of a proxy elsewhere (`[metrics] proxy = false`).
   */
  readonly publishTo?: { readonly local: true } | { readonly frontend: string };
}

/** `[gpio]` with lines declared: outputs, PWM and inputs. */
export const gpioBuilder: Builder<GpioSlice> = {
  name: "gpio",
  slice: ({ config, host }) => {
    if (!config.gpio.enabled) return undefined;
    const m = config.metrics;
    return { host, gpio: config.gpio, ...(m.enabled && { publishTo: m.proxy ? { local: true } : { frontend: m.frontend } }) };
  },
  // The same lines cannot be requested twice: a new GPIO task releases the old one's lines first.
  conflicts: () => true,
  async prepare(slice, ctx, how) {
    const g = slice.gpio;
    const log = ctx.log;
    const driver = await selectDriver(g.driver, { sysfsRoot: g.sysfsRoot });
    let lines;
    try {
      for (const missing of await findMissingChips(driver, g)) {
        log.warn(`gpio: ${missing.name}: chip ${missing.chip} does not exist (chips here: ${missing.available.join(", ") || "none"})`, { task: "gpio" });
      }
      lines = await openLines(driver, g, { sysfsRoot: g.sysfsRoot });
    } catch (err) {
      await driver.close();
      throw err;
    }
    for (const f of lines.failures) log.warn(`gpio: ${f.name}: ${f.error.message}`, { task: "gpio", line: f.name });
    const opened = lines.inputs.size + lines.outputs.size + lines.pwms.size;
    const close = async () => {
      if (ctx.gpio.get() === lines) ctx.gpio.set(undefined);
      await lines.close();
      await driver.close();
    };
    const failed = () => lines.failures.map((f) => `${f.name}: ${f.error.message}`).join("; ");
    // At start the lines that open are held and the others shown as failed; a reload that would lose a
    // line is refused instead, and the running lines stay as they are.
    if (how?.reload && lines.failures.length > 0) {
      await close();
      throw new GpioError(`${lines.failures.length === 1 ? "a declared line" : `${lines.failures.length} declared lines`} cannot be opened (${failed()})`);
    }
    if (opened === 0 && lines.failures.length > 0) {
      await close();
      throw new GpioError(`no declared line could be opened (${failed()})`);
    }
    log.info(`gpio: ${lines.inputs.size} inputs, ${lines.outputs.size} outputs, ${lines.pwms.size} pwm through ${driver.kind}`, { task: "gpio" });
    let changes = 0;
    let publishTo = slice.publishTo;
    return {
      run: async ({ signal }) => {
        ctx.gpio.set(lines);
        // A PUB socket only for a proxy elsewhere: one in this daemon takes the frames straight (ctx.proxy),
        // and a connected socket would wake the event loop every second for nothing.
        let publisher: MetricsPublisher | undefined;
        let publishing: string | undefined;
        const closing: Promise<void>[] = [];
        const publish = (values: ReturnType<typeof inputChangeMetric>): Metric | undefined => {
          const to = publishTo;
          if (to === undefined) return undefined;
          if ("local" in to) {
            const proxy = ctx.proxy.get();
            // With the proxy down (restarting) the change is still fanned out, as a PUB socket would drop it.
            return proxy ? proxy.publishMetric(slice.host, values, Date.now()).metric : createMetric(slice.host, values, Date.now());
          }
          if (publishing !== to.frontend) {
            if (publisher) closing.push(publisher.close());
            publisher = new MetricsPublisher(slice.host, { frontend: to.frontend });
            publishing = to.frontend;
          }
          return publisher!.publish(values).metric;
        };
        try {
          for await (const change of lines.changes(signal)) {
            changes++;
            if (change.cause !== "initial") log.info(`gpio: ${change.name} = ${change.value} (${change.cause})`, { task: "gpio", line: change.name, value: change.value });
            const metric = publish(inputChangeMetric(change));
            ctx.emit({ type: "input", change });
            if (metric) ctx.emit({ type: "metric", metric });
          }
          // Nothing (more) to watch: the outputs and PWM stay held until the daemon stops.
          if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        } finally {
          await publisher?.close();
          await Promise.all(closing);
        }
      },
      // Only where input changes are published can change in place; other changes reopen the lines.
      update: async (next) => {
        if (!sameSliceExcept(slice, next, "publishTo")) return undefined;
        return () => {
          publishTo = next.publishTo;
          slice = next;
        };
      },
      close,
      counters: () => ({ inputs: lines.inputs.size, outputs: lines.outputs.size, pwm: lines.pwms.size, failed: lines.failures.length, changes }),
    };
  },
};
