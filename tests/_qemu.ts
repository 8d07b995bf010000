/**
 * qemu-user for the arm64 tests: the emulator, the arm64 glibc it loads (`-L`), and the arm64 build of disco
 * (compiled fresh once per test file, with the runtime from the pinned npm package; see scripts/bun-runtime.ts).
 * `-cpu cortex-a53` is the core of the Pi 3 and Zero 2 W: a Bun that needs newer atomics fails here.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./_bin.ts";

export const QEMU_AARCH64 = "qemu-aarch64-static";
/** Where Debian's libc6-arm64-cross puts the arm64 loader and libc. */
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
/** Path of the arm64 binary {@link buildArm64} writes. */
export const DISCO_ARM64 = join(ROOT, "dist", "arm64", "disco");

/** Why arm64 binaries cannot run here, or undefined. */
export function qemuUserUnavailable(): string | undefined {
  const missing = [...(Bun.which(QEMU_AARCH64) ? [] : ["qemu-aarch64-static (qemu-user-static)"]), ...(existsSync(join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1")) ? [] : [`${ARM64_SYSROOT} (libc6-arm64-cross)`])];
  return missing.length ? `arm64 tests skipped: missing ${missing.join(", ")} (apt-get install qemu-user-static libc6-arm64-cross)` : undefined;
}

/** The command prefix that runs an arm64 program under qemu-user. */
export function underQemu(program: string, ...args: string[]): string[] {
  return [QEMU_AARCH64, "-cpu", "cortex-a53", "-L", ARM64_SYSROOT, program, ...args];
}

let built = false;
/** Compiles dist/arm64/disco (+ links) from this checkout once per process. @returns its path */
export function buildArm64(): string {
  if (built) return DISCO_ARM64;
  const rt = Bun.spawnSync([process.execPath, join(ROOT, "scripts", "bun-runtime.ts"), "arm64"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (rt.exitCode !== 0) throw new Error(`the arm64 runtime: ${rt.stderr.toString()}`);
  const b = Bun.spawnSync(
    [process.execPath, join(ROOT, "scripts", "build.ts"), "--target=bun-linux-arm64", "--outfile", DISCO_ARM64, `--executable-path=${rt.stdout.toString().trim()}`],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  if (b.exitCode !== 0) throw new Error(`building dist/arm64/disco failed: ${b.stderr.toString()}`);
  built = true;
  return DISCO_ARM64;
}
