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

/** Where {@link prepareArm64Libcrypto} unpacks Debian's arm64 libssl3 (libcrypto.so.3, as a Pi has it). */
export const ARM64_LIBSSL = join(ROOT, ".cache", "arm64-libssl");
const ARM64_LIBCRYPTO_DIR = join(ARM64_LIBSSL, "usr", "lib", "aarch64-linux-gnu");

/**
 * Fetches the arm64 build of the libssl3 package this machine's apt would install (same version, from the
 * same Debian mirror) and unpacks it under `.cache/`, once: arm64 programs under {@link underQemu} then seal
 * with OpenSSL as on a Pi, not with the node:crypto fallback.
 * @returns undefined when it is there, or why it could not be fetched
 */
export function prepareArm64Libcrypto(): string | undefined {
  if (existsSync(join(ARM64_LIBCRYPTO_DIR, "libcrypto.so.3"))) return undefined;
  const script = `set -eu
    for p in libssl3t64 libssl3; do u=$(apt-get download --print-uris "$p" 2>/dev/null | awk '{print $1}' | tr -d "'"); [ -n "$u" ] && break; done
    [ -n "$u" ] || { echo "apt knows no libssl3 package" >&2; exit 1; }
    u=$(printf '%s' "$u" | sed 's/_[a-z0-9]*\.deb$/_arm64.deb/')
    t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
    curl -fsS --max-time 120 -o "$t/l.deb" "$u"
    dpkg-deb -x "$t/l.deb" "$t/x"
    rm -rf "$1"; mkdir -p "$(dirname "$1")"; mv "$t/x" "$1"`;
  const r = Bun.spawnSync(["sh", "-c", script, "sh", ARM64_LIBSSL], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode === 0 && existsSync(join(ARM64_LIBCRYPTO_DIR, "libcrypto.so.3"))) return undefined;
  return `the arm64 libcrypto.so.3 (Debian's libssl3) could not be fetched: ${r.stderr.toString().trim() || `exit ${r.exitCode}`}`;
}

/**
 * The command prefix that runs an arm64 program under qemu-user, with the arm64 libcrypto on its library path
 * once {@link prepareArm64Libcrypto} has fetched it.
 */
export function underQemu(program: string, ...args: string[]): string[] {
  const ssl = existsSync(join(ARM64_LIBCRYPTO_DIR, "libcrypto.so.3")) ? ["-E", `LD_LIBRARY_PATH=${ARM64_LIBCRYPTO_DIR}`] : [];
  return [QEMU_AARCH64, "-cpu", "cortex-a53", "-L", ARM64_SYSROOT, ...ssl, program, ...args];
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
