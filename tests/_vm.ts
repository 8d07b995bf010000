/**
 * One boot of Debian's kernel under qemu-system-x86_64 (TCG, no network, serial console on stdout), bounded
 * by a timeout after which qemu is killed by its pid; shared by the gpio-sim VM and the systemd VM.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Result of one boot. */
export interface VmRun {
  readonly log: string;
  readonly wallMs: number;
  readonly exitCode: number | null;
}

/** What to boot. */
export interface BootOptions {
  /** Folder holding `vmlinuz`; qemu's working directory. */
  readonly cache: string;
  readonly initrd: string;
  /** The kernel command line. */
  readonly append: string;
  readonly timeoutMs: number;
  /** Where the console (and qemu's stderr) is written afterwards. */
  readonly consoleLog: string;
}

/** Boots once and returns the serial console. */
export async function bootQemu(o: BootOptions): Promise<VmRun> {
  const t0 = performance.now();
  const q = Bun.spawn(
    [
      "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "1536", "-nographic", "-no-reboot",
      "-nic", "none", "-kernel", join(o.cache, "vmlinuz"), "-initrd", o.initrd, "-append", o.append,
    ],
    { cwd: o.cache, stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  const killer = setTimeout(() => q.kill("SIGKILL"), o.timeoutMs);
  const [out, err] = await Promise.all([new Response(q.stdout).text(), new Response(q.stderr).text()]);
  const exitCode = await q.exited;
  clearTimeout(killer);
  const log = out + (err ? `\n[qemu stderr]\n${err}` : "");
  writeFileSync(o.consoleLog, log);
  return { log, wallMs: performance.now() - t0, exitCode };
}
