/**
 * PWM two ways: hardware PWM through `/sys/class/pwm/pwmchipN` when a pwmchip is configured, otherwise
 * software PWM that toggles an output line from timers (good for servos and LEDs at tens of Hz; its
 * jitter is measured in bench/gpio.bench.ts and documented in docs/GPIO.md).
 */
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { monotonicNs } from "./_clock.ts";
import { retryAfterExport } from "./_export.ts";
import { errnoOf, fileError, GpioError, GpioValueError } from "./errors.ts";
import type { LineHandle, LineValue } from "./types.ts";

/** A running PWM output. */
export interface PwmOutput extends AsyncDisposable {
  /** The period in milliseconds. */
  readonly periodMs: number;
  /** The current duty cycle (0..1: the share of each period the line is active). */
  readonly duty: number;
  /** Changes the duty cycle (0..1). @throws {GpioValueError} outside 0..1 */
  setDuty(duty: number): Promise<void>;
  /** Stops the output, leaving the line low (idempotent). */
  close(): Promise<void>;
}

function checkDuty(duty: number): void {
  if (!Number.isFinite(duty) || duty < 0 || duty > 1) throw new GpioValueError(`duty must be between 0 and 1, got ${duty}`);
}

function checkPwmOptions(o: { readonly periodMs: number; readonly duty: number }): void {
  if (!(o.periodMs > 0)) throw new GpioValueError(`period_ms must be > 0, got ${o.periodMs}`);
  checkDuty(o.duty);
}

/** A {@link PwmOutput} whose duty is checked and kept here; `apply` sets a new duty, `stop` runs once on close. */
function pwmOutput(periodMs: number, duty: number, ops: { apply(duty: number): Promise<void> | void; stop(): Promise<void> | void }): PwmOutput {
  let closed = false;
  const out: PwmOutput = {
    periodMs,
    get duty() {
      return duty;
    },
    async setDuty(d: number) {
      checkDuty(d);
      duty = d;
      await ops.apply(d);
    },
    async close() {
      if (closed) return;
      closed = true;
      await ops.stop();
    },
    async [Symbol.asyncDispose]() {
      await out.close();
    },
  };
  return out;
}

/** Options of {@link startSoftPwm}. */
export interface SoftPwmOptions {
  /** The period in milliseconds (> 0). */
  readonly periodMs: number;
  /** 0..1 */
  readonly duty: number;
  /** Called with the monotonic time (ns) at which each period's rising write happened (for jitter figures). */
  readonly onPeriodStart?: (nowNs: bigint) => void;
}

/**
 * Starts software PWM on an output line. Periods are scheduled against absolute times, so timer lateness
 * does not accumulate into drift.
 * @throws {GpioValueError} on a period <= 0 or a duty outside 0..1, or an input line
 */
export function startSoftPwm(handle: LineHandle, options: SoftPwmOptions): PwmOutput {
  checkPwmOptions(options);
  if (handle.settings.direction !== "output") throw new GpioValueError(`${handle.chip} line ${handle.line}: PWM needs an output line`);
  const sync = (handle as Partial<{ writeSync(v: LineValue): void }>).writeSync?.bind(handle);
  const set = (v: LineValue) => {
    if (sync) sync(v);
    else void handle.write(v).catch(() => undefined);
  };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const out = pwmOutput(options.periodMs, options.duty, {
    apply: () => undefined, // read at the next period
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      set(0);
    },
  });
  const periodNs = BigInt(Math.round(options.periodMs * 1e6));
  let next = monotonicNs();
  const after = (t: bigint, fn: () => void) => {
    timer = setTimeout(fn, Math.max(0, Number(t - monotonicNs()) / 1e6));
  };
  const tick = () => {
    if (stopped) return;
    const duty = out.duty;
    const start = next;
    next += periodNs;
    const now = monotonicNs();
    if (now - start > periodNs) next = now + periodNs; // fell behind (e.g. a GC pause): restart the grid
    if (duty > 0) {
      set(1);
      options.onPeriodStart?.(monotonicNs());
    } else set(0);
    if (duty <= 0 || duty >= 1) return after(next, tick);
    after(start + BigInt(Math.round(Number(periodNs) * duty)), () => {
      if (stopped) return;
      set(0);
      after(next, tick);
    });
  };
  tick();
  return out;
}

/** Options of {@link openHardwarePwm}. */
export interface HardwarePwmOptions {
  /** @default "/sys" */
  readonly root?: string;
  /** The period in milliseconds (> 0). */
  readonly periodMs: number;
  /** 0..1 */
  readonly duty: number;
  /** How long to wait for the exported channel directory. @default 2000 */
  readonly exportTimeoutMs?: number;
}

/**
 * Starts hardware PWM on `/sys/class/pwm/pwmchip<chip>/pwm<channel>` (exported if needed).
 * @throws {GpioError} when the pwmchip does not exist @throws {GpioPermissionError}
 * @throws {GpioValueError} on a bad period or duty
 */
export async function openHardwarePwm(pwmchip: number, channel: number, options: HardwarePwmOptions): Promise<PwmOutput> {
  checkPwmOptions(options);
  const chipDir = join(options.root ?? "/sys", "class", "pwm", `pwmchip${pwmchip}`);
  const dir = join(chipDir, `pwm${channel}`);
  const write = async (path: string, text: string) => {
    try {
      await writeFile(path, text);
    } catch (err) {
      if (errnoOf(err) === "ENOENT") throw new GpioError(`${path} does not exist (is pwmchip${pwmchip} enabled, e.g. dtoverlay=pwm on a Pi?)`, { errno: "ENOENT", cause: err });
      throw fileError(err, path);
    }
  };
  const exists = (path: string) => access(path).then(() => true, () => false);
  const exported = await exists(dir);
  if (!exported) {
    await write(join(chipDir, "export"), String(channel));
    await retryAfterExport(() => access(join(dir, "period")), options.exportTimeoutMs ?? 2000).catch((err: unknown) => {
      throw new GpioError(`${dir} did not appear after export`, { cause: err });
    });
  }
  const periodNs = Math.round(options.periodMs * 1e6);
  const setDuty = (duty: number) => write(join(dir, "duty_cycle"), String(Math.round(periodNs * duty)));
  // duty_cycle must never exceed period: drop it first, then set the period, then the duty.
  await setDuty(0).catch(() => undefined);
  await write(join(dir, "period"), String(periodNs));
  await setDuty(options.duty);
  await write(join(dir, "enable"), "1");
  return pwmOutput(options.periodMs, options.duty, {
    apply: setDuty,
    stop: async () => {
      await write(join(dir, "enable"), "0").catch(() => undefined);
      if (!exported) await writeFile(join(chipDir, "unexport"), String(channel)).catch(() => undefined);
    },
  });
}
