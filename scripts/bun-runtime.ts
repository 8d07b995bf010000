/**
 * The Bun runtime of another target, for `bun build --compile --compile-executable-path`, taken from npm and
 * nowhere else: the package Bun itself depends on (`@oven/bun-linux-aarch64`), at the version of our `bun`
 * devDependency, checked against the integrity package-lock.json pins for it. It cannot be an ordinary
 * devDependency: its `cpu: ["arm64"]` makes `npm ci` refuse it on x86-64 (EBADPLATFORM), so `npm pack`
 * fetches it. Cached in .cache/bun-runtime/ (about 37 MB packed).
 *
 * Usage: bun scripts/bun-runtime.ts arm64   (prints the runtime's path)
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

/** npm package of each target's runtime (glibc builds: Debian and Raspberry Pi OS). */
export const RUNTIME_PACKAGES = { x64: "@oven/bun-linux-x64", arm64: "@oven/bun-linux-aarch64" } as const;
export type ReleaseArch = keyof typeof RUNTIME_PACKAGES;

/** The Bun version we build with: the exact `bun` devDependency. */
export function bunVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  const v = pkg.devDependencies?.["bun"];
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`package.json: devDependencies.bun must be an exact version, got ${v}`);
  return v;
}

/**
 * The path of the runtime binary for `arch`, fetched with `npm pack` on first use.
 * @throws Error when the lockfile does not pin the package at our Bun version, or the tarball's hash differs
 */
export function ensureBunRuntime(arch: ReleaseArch): string {
  const name = RUNTIME_PACKAGES[arch];
  const version = bunVersion();
  const dir = join(ROOT, ".cache", "bun-runtime", `${name.replace("/", "+")}-${version}`);
  const bin = join(dir, "bun");
  if (existsSync(bin)) return bin;
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages?: Record<string, { version?: string; integrity?: string }> };
  const entry = lock.packages?.[`node_modules/${name}`];
  if (entry?.version !== version || !entry.integrity?.startsWith("sha512-")) {
    throw new Error(`package-lock.json does not pin ${name}@${version} (found ${entry?.version ?? "nothing"}): run npm install`);
  }
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `pack.${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const pack = Bun.spawnSync(["npm", "pack", `${name}@${version}`, "--pack-destination", tmp, "--json", "--silent"], { stdout: "pipe", stderr: "pipe" });
    if (pack.exitCode !== 0) throw new Error(`npm pack ${name}@${version} failed: ${pack.stderr.toString()}`);
    const [info] = JSON.parse(pack.stdout.toString()) as { filename: string }[];
    if (!info) throw new Error("npm pack printed no file");
    const tgz = join(tmp, info.filename.replace("@", "").replace("/", "-"));
    const file = existsSync(tgz) ? tgz : join(tmp, info.filename);
    const integrity = `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
    if (integrity !== entry.integrity) throw new Error(`${name}@${version}: the tarball's hash ${integrity} is not the lockfile's ${entry.integrity}`);
    const x = Bun.spawnSync(["tar", "-xzf", file, "-C", tmp, "package/bin/bun"], { stdout: "pipe", stderr: "pipe" });
    if (x.exitCode !== 0) throw new Error(`unpacking ${file} failed: ${x.stderr.toString()}`);
    renameSync(join(tmp, "package", "bin", "bun"), bin);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

if (import.meta.main) {
  const arch = process.argv[2] ?? "arm64";
  if (arch !== "x64" && arch !== "arm64") throw new Error(`unknown arch ${arch} (x64 or arm64)`);
  console.log(ensureBunRuntime(arch));
}
