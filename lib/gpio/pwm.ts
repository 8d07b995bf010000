/**
 * PWM two ways: hardware PWM through `/sys/class/pwm/pwmchipN` when a pwmchip is configured, otherwise
 * software PWM that toggles an output line from timers (good for servos and LEDs at tens of Hz; its
 * jitter is measured in bench/gpio.bench.ts and documented in docs/GPIO.md).
 */
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { monotonicNs } from "./_clock.ts";
import { GpioError, GpioPermissionError, GpioValueError } from "./errors.ts";
import type { LineHandle, LineValue } from "./types.ts";

/** A running PWM output. */
export interface PwmOutput extends AsyncDisposable {
  readonly periodMs: number;
  readonly duty: number;
  /** Changes the duty cycle (0..1). @throws {GpioValueError} outside 0..1 */
  setDuty(duty: number): Promise<void>;
  /** Stops the output, leaving the line low (idempotent). */
  close(): Promise<void>;
}

function checkDuty(duty: number): void {
  if (!Number.isFinite(duty) || duty < 0 || duty > 1) throw new GpioValueError(`duty must be between 0 and 1, got ${duty}`);
}

/** Options of {@link startSoftPwm}. */
export interface SoftPwmOptions {
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
  if (!(options.periodMs > 0)) throw new GpioValueError(`period_ms must be > 0, got ${options.periodMs}`);
  checkDuty(options.duty);
  if (handle.settings.direction !== "output") throw new GpioValueError(`${handle.chip} line ${handle.line}: PWM needs an output line`);
  const sync = (handle as Partial<{ writeSync(v: LineValue): void }>).writeSync?.bind(handle);
  const set = (v: LineValue) => {
    if (sync) sync(v);
    else void handle.write(v).catch(() => undefined);
  };
  let duty = options.duty;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const periodNs = BigInt(Math.round(options.periodMs * 1e6));
  let next = monotonicNs();
  const delayTo = (t: bigint) => Math.max(0, Number(t - monotonicNs()) / 1e6);
  const tick = () => {
    if (stopped) return;
    const start = next;
    next += periodNs;
    const now = monotonicNs();
    if (now - start > periodNs) next = now + periodNs; // fell behind (e.g. a GC pause): restart the grid
    if (duty > 0) {
      set(1);
      options.onPeriodStart?.(monotonicNs());
    }
    if (duty < 1) {
      const offAt = start + BigInt(Math.round(Number(periodNs) * duty));
      if (duty === 0) set(0);
      else timer = setTimeout(() => {
        if (stopped) return;
        set(0);
        timer = setTimeout(tick, delayTo(next));
      }, delayTo(offAt));
      if (duty === 0) timer = setTimeout(tick, delayTo(next));
    } else {
      timer = setTimeout(tick, delayTo(next));
    }
  };
  tick();
  return {
    periodMs: options.periodMs,
    get duty() {
      return duty;
    },
    async setDuty(d: number) {
      checkDuty(d);
      duty = d;
    },
    async close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      set(0);
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

/** Options of {@link openHardwarePwm}. */
export interface HardwarePwmOptions {
  /** @default "/sys" */
  readonly root?: string;
  readonly periodMs: number;
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
  if (!(options.periodMs > 0)) throw new GpioValueError(`period_ms must be > 0, got ${options.periodMs}`);
  checkDuty(options.duty);
  const chipDir = join(options.root ?? "/sys", "class", "pwm", `pwmchip${pwmchip}`);
  const dir = join(chipDir, `pwm${channel}`);
  const wrap = (err: unknown, path: string): GpioError => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return new GpioPermissionError(path, { errno: code, cause: err });
    if (code === "ENOENT") return new GpioError(`${path} does not exist (is pwmchip${pwmchip} enabled, e.g. dtoverlay=pwm on a Pi?)`, { errno: code, cause: err });
    return new GpioError(`${path}: ${code ?? String(err)}`, { errno: code, cause: err });
  };
  const write = async (file: string, text: string) => {
    const p = join(dir, file);
    try {
      await writeFile(p, text);
    } catch (err) {
      throw wrap(err, p);
    }
  };
  const exists = await access(dir).then(() => true, () => false);
  if (!exists) {
    try {
      await writeFile(join(chipDir, "export"), String(channel));
    } catch (err) {
      throw wrap(err, join(chipDir, "export"));
    }
    const deadline = Date.now() + (options.exportTimeoutMs ?? 2000);
    while (!(await access(join(dir, "period")).then(() => true, () => false))) {
      if (Date.now() > deadline) throw new GpioError(`${dir} did not appear after export`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const periodNs = Math.round(options.periodMs * 1e6);
  let duty = options.duty;
  // duty_cycle must never exceed period: drop it first, then set the period, then the duty.
  await write("duty_cycle", "0").catch(() => undefined);
  await write("period", String(periodNs));
  await write("duty_cycle", String(Math.round(periodNs * duty)));
  await write("enable", "1");
  let closed = false;
  const out: PwmOutput = {
    periodMs: options.periodMs,
    get duty() {
      return duty;
    },
    async setDuty(d: number) {
      checkDuty(d);
      duty = d;
      await write("duty_cycle", String(Math.round(periodNs * d)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await write("enable", "0").catch(() => undefined);
      if (!exists) await writeFile(join(chipDir, "unexport"), String(channel)).catch(() => undefined);
    },
    async [Symbol.asyncDispose]() {
      await out.close();
    },
  };
  return out;
}
