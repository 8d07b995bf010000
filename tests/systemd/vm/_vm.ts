/**
 * Host side of the systemd VM: Debian's kernel under qemu (TCG, no network) booting a Debian root file
 * system whose PID 1 is systemd, with the compiled dist/disco installed inside by the real install.sh.
 * Artefacts live in .cache/systemd-vm/ (prepare.sh builds them once; the root file system is rebuilt only
 * when tests/systemd/vm/packages changes).
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureBuilt, ROOT } from "../../_bin.ts";
import { bootQemu, type VmRun } from "../../_vm.ts";

export const VM_DIR = resolve(import.meta.dir);
export const CACHE = join(ROOT, ".cache", "systemd-vm");
export const CONSOLE_LOG = join(CACHE, "console.log");

/** The cached root file system archive, if prepare.sh built one for the current package list. */
function baseArchive(): string | undefined {
  if (!existsSync(CACHE)) return undefined;
  const pkgs = readFileSync(join(VM_DIR, "packages"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.trim())
    .join(",");
  const key = new Bun.CryptoHasher("sha256").update(pkgs).digest("hex").slice(0, 16);
  const f = join(CACHE, `base-${key}.cpio.gz`);
  return readdirSync(CACHE).includes(`base-${key}.cpio.gz`) ? f : undefined;
}

/** Why the VM cannot run here, or undefined when it can. Runs prepare.sh once when root and something is missing. */
export function vmUnavailable(): string | undefined {
  const missing = () => [
    ...(existsSync(join(CACHE, "vmlinuz")) ? [] : ["the kernel (.cache/systemd-vm/vmlinuz)"]),
    ...(baseArchive() ? [] : ["the root file system (.cache/systemd-vm/base-*.cpio.gz)"]),
    ...(Bun.which("qemu-system-x86_64") ? [] : ["qemu-system-x86_64"]),
    ...(existsSync("/bin/busybox") ? [] : ["/bin/busybox"]),
  ];
  if (missing().length && process.getuid?.() === 0) {
    Bun.spawnSync(["bash", join(VM_DIR, "prepare.sh")], { stdout: "inherit", stderr: "inherit" });
  }
  const m = missing();
  if (m.length) return `systemd VM skipped: missing ${m.join(", ")} (run: sudo bash tests/systemd/vm/prepare.sh)`;
  return undefined;
}

export type { VmRun } from "../../_vm.ts";

/**
 * Builds dist/disco (if missing), packs the initramfs (the cached root + disco and the checks) and boots the
 * VM once; /vmtest.sh runs as a oneshot unit and powers the VM off.
 * @param timeoutMs qemu is killed (by its pid) after this long
 */
export async function bootVm(timeoutMs = Number(process.env["SYSTEMD_VM_TIMEOUT_MS"] ?? 300_000)): Promise<VmRun> {
  const base = baseArchive();
  if (!base) throw new Error("no cached root file system: run tests/systemd/vm/prepare.sh");
  // dist/disco may be rebuilt by others at any moment: take a private copy first.
  const disco = join(CACHE, "disco");
  copyFileSync(ensureBuilt(), disco);
  const initrd = join(CACHE, "initrd.gz");
  const i = Bun.spawnSync(["sh", join(VM_DIR, "build-initrd.sh"), base, initrd, disco], { stdout: "pipe", stderr: "pipe" });
  if (i.exitCode !== 0) throw new Error(`build-initrd.sh failed: ${i.stderr.toString()}`);
  // serial-getty masked: a minbase root has no udev rule for ttyS0 and would wait 90 s for it.
  const append = "console=ttyS0 rdinit=/sbin/init panic=-1 quiet systemd.mask=serial-getty@ttyS0.service systemd.show_status=0";
  return bootQemu({ cache: CACHE, initrd, append, timeoutMs, consoleLog: CONSOLE_LOG });
}
