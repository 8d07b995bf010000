/**
 * A LAN of network namespaces for multi-device tests: N "devices" (one namespace each, interface eth0 with
 * an address from 10.77.0.0/24) joined by a bridge that lives in its own hub namespace, so nothing touches
 * the machine's real interfaces. Needs root (CAP_NET_ADMIN) and iproute2.
 *
 *   await using lan = await createLan(3);
 *   const p = lan.hosts[0].spawn([DISCO, "server", ...]);
 *
 * Every namespace, and every process started through {@link LanHost.spawn}, is removed when the LAN is
 * disposed. Namespaces left behind by a crashed run (named after a PID that is gone) are swept on creation.
 */
import { spawnSync, type Subprocess } from "bun";
import { readdirSync } from "node:fs";

/** One device of the LAN. */
export interface LanHost {
  /** Namespace name. */
  readonly ns: string;
  /** The device's address on eth0. */
  readonly ip: string;
  /** Runs a command in the namespace and waits for it. */
  exec(cmd: readonly string[]): { exitCode: number; stdout: string; stderr: string };
  /** Starts a long-running process in the namespace; it is killed when the LAN is disposed. */
  spawn(cmd: readonly string[], options?: { env?: Record<string, string>; stdin?: "pipe" | "ignore" }): Subprocess<"pipe" | "ignore", "pipe", "pipe">;
}

/** A LAN of namespaces. */
export interface Lan extends AsyncDisposable {
  readonly hosts: readonly LanHost[];
  /** The subnet's broadcast address. */
  readonly broadcast: string;
  /** Adds one more device to the LAN. */
  addHost(): LanHost;
  /** Kills the processes and deletes the namespaces. Idempotent. */
  close(): Promise<void>;
}

const PREFIX = "dt";

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespace tests need root (CAP_NET_ADMIN); run as root or in CI";
  // (Bun's spawnSync throws for a missing executable rather than failing: asked first.)
  const ip = Bun.which("ip") ? spawnSync(["ip", "-V"], { stdout: "ignore", stderr: "ignore" }) : undefined;
  if (!ip?.success) return "network namespace tests need iproute2 ('ip'); apt-get install iproute2";
  return undefined;
}

function run(cmd: readonly string[]): { exitCode: number; stdout: string; stderr: string } {
  const p = spawnSync([...cmd], { stdout: "pipe", stderr: "pipe" });
  return { exitCode: p.exitCode ?? 1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

function must(cmd: readonly string[]): void {
  const r = run(cmd);
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.trim()}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sweepStale(): void {
  let names: string[] = [];
  try {
    names = readdirSync("/run/netns");
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)x`).exec(name);
    if (m && !pidAlive(Number(m[1]))) run(["ip", "netns", "del", name]);
  }
}

let lanCounter = 0;

/**
 * Builds a LAN of `count` devices.
 * @param count number of devices (1 to 200)
 * @returns the LAN; dispose it (`await using`) to remove it
 * @throws {Error} when a namespace cannot be created (call {@link netnsUnavailable} first to skip cleanly)
 */
export async function createLan(count: number): Promise<Lan> {
  if (!(count >= 1 && count <= 200)) throw new RangeError(`count must be 1..200, got ${count}`);
  sweepStale();
  // Names stay short: interface names are limited to 15 characters.
  const id = `${PREFIX}${process.pid}x${(lanCounter++).toString(36)}`;
  const hub = `${id}h`;
  const namespaces: string[] = [hub];
  const procs: Subprocess[] = [];
  const hosts: LanHost[] = [];
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    }
    await Promise.all(procs.map((p) => p.exited.catch(() => undefined)));
    // A wrapper that forks its command (faketime does) leaves the command running when it is killed: end
    // whatever still runs in this LAN's own namespaces, by PID (a namespace whose name is deleted lives on
    // until its last process has exited).
    const left = namespaces.flatMap((ns) => run(["ip", "netns", "pids", ns]).stdout.split(/\s+/).filter(Boolean).map(Number));
    for (const pid of left) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const ns of namespaces.reverse()) run(["ip", "netns", "del", ns]);
  };

  const addHost = (): LanHost => {
    const i = hosts.length;
    if (i >= 250) throw new RangeError("a LAN holds at most 250 devices");
    const ns = `${id}n${i}`;
    const ip = `10.77.0.${i + 1}`;
    must(["ip", "netns", "add", ns]);
    namespaces.push(ns);
    const vHost = `${id}a${i}`.slice(-15);
    const vHub = `${id}b${i}`.slice(-15);
    must(["ip", "link", "add", vHost, "netns", ns, "type", "veth", "peer", "name", vHub, "netns", hub]);
    must(["ip", "-n", ns, "link", "set", vHost, "name", "eth0"]);
    must(["ip", "-n", ns, "addr", "add", `${ip}/24`, "broadcast", "10.77.0.255", "dev", "eth0"]);
    must(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    must(["ip", "-n", ns, "link", "set", "lo", "up"]);
    // Multicast leaves through eth0 by default.
    must(["ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0"]);
    must(["ip", "-n", hub, "link", "set", vHub, "master", "br0"]);
    must(["ip", "-n", hub, "link", "set", vHub, "up"]);
    const host: LanHost = {
      ns,
      ip,
      exec: (cmd) => run(["ip", "netns", "exec", ns, ...cmd]),
      spawn: (cmd, options = {}) => {
        const p = Bun.spawn(["ip", "netns", "exec", ns, ...cmd], {
          stdin: options.stdin ?? "ignore",
          stdout: "pipe",
          stderr: "pipe",
          env: { ...process.env, ...options.env },
        });
        procs.push(p);
        return p;
      },
    };
    hosts.push(host);
    return host;
  };

  try {
    must(["ip", "netns", "add", hub]);
    must(["ip", "-n", hub, "link", "add", "br0", "type", "bridge"]);
    // No STP or forwarding delay: ports forward as soon as they are up.
    must(["ip", "-n", hub, "link", "set", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0", "mcast_snooping", "0"]);
    must(["ip", "-n", hub, "link", "set", "br0", "up"]);
    for (let i = 0; i < count; i++) addHost();
  } catch (err) {
    await close();
    throw err;
  }
  return {
    hosts,
    broadcast: "10.77.0.255",
    addHost,
    close,
    [Symbol.asyncDispose]: close,
  };
}
