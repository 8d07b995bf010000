import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rssBytes } from "../../lib/page-out.ts";
import { LineReader } from "../_lines.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-page-out-"));
let disco = "";
let copy = "";

/** Why the daemon cannot be run as another user here, or undefined (the unit runs it as user disco). */
const unprivileged = process.getuid?.() !== 0 ? "needs root to run the daemon as user nobody" : Bun.which("setpriv") ? undefined : "setpriv (util-linux) is missing";

const rssMb = (pid: number) => (rssBytes(readFileSync(`/proc/${pid}/status`, "utf8")) ?? NaN) / 1048576;

describe("disco run gives back its start-up pages (compiled binary)", () => {
  before(() => {
    disco = ensureBuilt();
    // Its own copy: the kernel leaves pages mapped by two processes alone, and other tests run dist/disco.
    copy = join(dir, "disco");
    copyFileSync(disco, copy);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("unmaps most of the executable 2 s after READY and after a reload, and keeps answering", async () => {
    const port = await freeUdpPort();
    const file = join(dir, "disco.toml");
    const text = (web: string) =>
      `[host]\nname = "paged"\n[daemon]\nstate_directory = "${dir}/state"\ncontrol_socket = "${dir}/disco.sock"\n` +
      `[discovery]\nmagic = "page-out"\nport = ${port}\nlisten = "127.0.0.1"\n[services]\nweb = "${web}"\n`;
    writeFileSync(file, text("http://one"));
    await using daemon = spawn([copy, "run", "-c", file]);
    await using err = new LineReader(daemon.proc.stderr);
    await err.waitFor(/running discovery/);
    const startedMb = rssMb(daemon.proc.pid);
    const line = await err.nextLine(/gave back the executable's start-up pages: RSS ([\d.]+) -> ([\d.]+) MB/, { timeoutMs: 10_000 });
    const [, beforeMb, afterMb] = /RSS ([\d.]+) -> ([\d.]+) MB/.exec(line)!.map(Number);
    assert.ok(beforeMb! > 20, `a started daemon maps most of its runtime: ${line}`);
    assert.ok(afterMb! < beforeMb! / 2, `most of it given back: ${line} (RSS at READY: ${startedMb.toFixed(1)} MB)`);

    // The code it needs comes back on use: it still answers, with the real client.
    const ask = () => Bun.spawnSync([disco, "client", "-m", "page-out", "--to", "127.0.0.1", "-p", String(port), "-t", "1", "--json"], { stdout: "pipe", stderr: "pipe" });
    const answer = ask();
    assert.equal(answer.exitCode, 0, answer.stderr.toString());
    assert.match(answer.stdout.toString(), /"web": ?"http:\/\/one"/);
    const answeredMb = rssMb(daemon.proc.pid);
    // It maps back what answering runs (the first answer compiles its functions), in fault-around chunks.
    assert.ok(answeredMb < beforeMb! * 0.8, `answering does not map all of start-up again: ${answeredMb.toFixed(1)} MB after an answer, ${line}`);

    // A reload runs the config code again: another page-out follows it.
    writeFileSync(file, text("http://two"));
    daemon.proc.kill("SIGHUP");
    await err.nextLine(/reloaded \(generation 2\)/);
    await err.nextLine(/gave back the executable's start-up pages/, { timeoutMs: 10_000, what: "a page-out after the reload" });
    daemon.proc.kill("SIGTERM");
    assert.equal(await daemon.proc.exited, 0);
  });

  it("also as an unprivileged user that cannot write the binary (as the unit runs it)", { skip: unprivileged }, async () => {
    const port = await freeUdpPort();
    const home = join(dir, "nobody");
    mkdirSync(home, { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(home, 0o777);
    const file = join(home, "disco.toml");
    writeFileSync(file, `[host]\nname = "nobody"\n[daemon]\nstate_directory = "${home}/state"\ncontrol_socket = "${home}/disco.sock"\n[discovery]\nmagic = "page-out"\nport = ${port}\nlisten = "127.0.0.1"\n`);
    chmodSync(file, 0o644);
    await using daemon = spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", copy, "run", "-c", file]);
    await using err = new LineReader(daemon.proc.stderr);
    const line = await err.nextLine(/gave back the executable's start-up pages|start-up pages stay mapped/, { timeoutMs: 15_000 });
    const [, beforeMb, afterMb] = /RSS ([\d.]+) -> ([\d.]+) MB/.exec(line)?.map(Number) ?? [];
    assert.ok(beforeMb !== undefined && afterMb! < beforeMb / 2, `most of it given back without owning the file: ${line}`);
    daemon.proc.kill("SIGTERM");
    assert.equal(await daemon.proc.exited, 0);
  });

  it("disco server (a long-running service too) gives them back once listening", async () => {
    const port = await freeUdpPort();
    await using server = spawn([copy, "server", "-v", "-l", "127.0.0.1", "-p", String(port), "-m", "page-out"]);
    await using err = new LineReader(server.proc.stderr);
    await err.nextLine(/listening on 127\.0\.0\.1/);
    const line = await err.nextLine(/start-up pages/, { timeoutMs: 10_000 });
    const [, beforeMb, afterMb] = /RSS ([\d.]+) -> ([\d.]+) MB/.exec(line)?.map(Number) ?? [];
    assert.ok(beforeMb !== undefined && afterMb! < beforeMb / 2, line);
    server.proc.kill("SIGTERM");
    await server.proc.exited;
  });
});
