/**
 * Host side of the gpio-sim VM: checks what is available, bundles the runner, builds the initramfs, boots
 * qemu (TCG, no network) bounded by a timeout and returns the serial console. Artefacts live in .cache/gpio-vm/.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureBuilt, ROOT } from "../../_bin.ts";
import { bootQemu, type VmRun } from "../../_vm.ts";

export const VM_DIR = resolve(import.meta.dir);
export const CACHE = join(ROOT, ".cache", "gpio-vm");
export const CONSOLE_LOG = join(CACHE, "console.log");
const ARTEFACTS = ["vmlinuz", "configfs.ko", "gpio-sim.ko"];

/** Why the VM cannot run here, or undefined when it can. Runs prepare.sh once when root and something is missing. */
export function vmUnavailable(): string | undefined {
  const missing = () => [...ARTEFACTS.filter((a) => !existsSync(join(CACHE, a))), ...(Bun.which("qemu-system-x86_64") ? [] : ["qemu-system-x86_64"]), ...(existsSync("/bin/busybox") ? [] : ["/bin/busybox"])];
  if (missing().length && process.getuid?.() === 0) {
    Bun.spawnSync(["bash", join(VM_DIR, "prepare.sh")], { stdout: "inherit", stderr: "inherit" });
  }
  const m = missing();
  if (m.length) return `gpio-sim VM skipped: missing ${m.join(", ")} (run: sudo bash tests/gpio/vm/prepare.sh)`;
  return undefined;
}

export type { VmRun } from "../../_vm.ts";

/**
 * Builds dist/disco (if missing), bundles the runner, packs the initramfs and boots the VM once. The runner is
 * plain JavaScript that the VM runs with dist/disco's own Bun (`BUN_BE_BUN=1`), so the initramfs carries one
 * Bun runtime, not two.
 * @param timeoutMs qemu is killed (by its pid) after this long
 */
export async function bootVm(timeoutMs = 240_000): Promise<VmRun> {
  const disco = ensureBuilt();
  // dist/disco may be rebuilt by others at any moment: take a private copy first.
  const discoCopy = join(CACHE, "disco");
  copyFileSync(disco, discoCopy);
  const runner = join(CACHE, "gpio-runner.js");
  const b = Bun.spawnSync([process.execPath, "build", "--target=bun", join(VM_DIR, "runner.ts"), "--outfile", runner], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`bundling the runner failed: ${b.stderr.toString()}`);
  // The drivers start their poll worker from "./_pump-worker.ts" beside the bundle that loads them.
  const worker = join(CACHE, "_pump-worker.ts");
  const w = Bun.spawnSync([process.execPath, "build", "--target=bun", join(ROOT, "lib", "gpio", "_pump-worker.ts"), "--outfile", worker], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (w.exitCode !== 0) throw new Error(`bundling the GPIO poll worker failed: ${w.stderr.toString()}`);
  const initrd = join(CACHE, "initrd.gz");
  const i = Bun.spawnSync(["sh", join(VM_DIR, "build-initrd.sh"), CACHE, initrd, discoCopy, runner, worker], { stdout: "pipe", stderr: "pipe" });
  if (i.exitCode !== 0) throw new Error(`build-initrd.sh failed: ${i.stderr.toString()}`);
  return bootQemu({ cache: CACHE, initrd, append: "console=ttyS0 quiet panic=-1", timeoutMs, consoleLog: CONSOLE_LOG });
}

/** The console of the last boot when it is newer than everything it ran, else undefined. */
export function freshConsoleLog(): string | undefined {
  if (!existsSync(CONSOLE_LOG)) return undefined;
  const t = statSync(CONSOLE_LOG).mtimeMs;
  const gpioDir = join(ROOT, "lib", "gpio");
  const inputs = [
    join(VM_DIR, "runner.ts"),
    join(VM_DIR, "test.sh"),
    join(VM_DIR, "init"),
    join(ROOT, "dist", "disco"),
    join(ROOT, "tests", "gpio", "_contract.ts"),
    join(ROOT, "tests", "gpio", "_measure.ts"),
    join(ROOT, "tests", "_lines.ts"),
    ...readdirSync(gpioDir).map((f) => join(gpioDir, f)),
  ];
  if (inputs.some((f) => existsSync(f) && statSync(f).mtimeMs > t)) return undefined;
  return readFileSync(CONSOLE_LOG, "utf8");
}
