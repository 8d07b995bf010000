/**
 * PyDiscover interoperability against an independent peer: Python with pyaes (the library PyDiscover
 * uses), speaking the legacy protocol as docs/PROTOCOL.md describes it.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createLan, netnsUnavailable } from "../net/_netns.ts";

const PYTHON = "/usr/bin/python3";
const hasPyaes = Bun.spawnSync([PYTHON, "-c", "import pyaes"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
const skip = hasPyaes ? undefined : "needs Python 3 with pyaes (apt-get install python3-pyaes)";

const COMMON = `
import json, socket, sys, time, pyaes
def crypt(password, data):
    if not password:
        return data
    key = (password + "0" * 32)[:32].encode()
    return pyaes.AESModeOfOperationCTR(key).encrypt(data)
`;

// A PyDiscover-style client: one request to ADDRESS:PORT (default 127.0.0.1), prints the decrypted answer.
const CLIENT = `${COMMON}
magic, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
address = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.settimeout(5)
s.sendto(crypt(password, ("%s%s" % (magic, time.time())).encode()), (address, port))
data, addr = s.recvfrom(65535)
print(crypt(password, data).decode(errors="ignore"))
`;

// A PyDiscover-style server: answers one fresh request on ADDRESS:PORT (default 127.0.0.1:0) with magic#OK#json.
const SERVER = `${COMMON}
magic, password = sys.argv[1], sys.argv[2]
address, port = (sys.argv[3], int(sys.argv[4])) if len(sys.argv) > 4 else ("127.0.0.1", 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((address, port))
print("port %d" % s.getsockname()[1], flush=True)
data, addr = s.recvfrom(65535)
text = crypt(password, data).decode(errors="ignore")
assert text.startswith(magic), text
assert float(text[len(magic):]) > time.time() - 20
s.sendto(crypt(password, ("%s#OK#%s" % (magic, json.dumps({"register": "10.0.0.9", "name": "py"}))).encode()), addr)
print("served", flush=True)
`;

describe("--legacy against a Python/pyaes PyDiscover peer", { skip }, () => {
  let disco = "";
  const tmp = mkdtempSync(join(tmpdir(), "disco-legacy-"));
  const procs: Subprocess[] = [];
  before(() => {
    disco = ensureBuilt();
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(tmp, { recursive: true, force: true });
  });

  it("a pyaes client gets the services from 'disco-server --legacy'", async () => {
    const services = join(tmp, "info.cfg");
    writeFileSync(services, "[DEFAULT]\nregister = 10.0.0.1\n");
    const pw = join(tmp, "pw");
    writeFileSync(pw, "s3cret\n");
    const server = Bun.spawn([join(disco, "..", "disco-server"), "--legacy", "-l", "127.0.0.1", "-p", "0", "-m", "fna349fn", "--password-file", pw, "-d", services], { stdout: "pipe", stderr: "pipe" });
    procs.push(server);
    const port = (await new LineReader(server.stderr).waitFor(/listening on [\d.]+:(\d+)/)).captures[1]!;
    const client = Bun.spawnSync([PYTHON, "-c", CLIENT, "fna349fn", port, "s3cret"], { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    assert.equal(client.exitCode, 0, client.stderr.toString());
    assert.equal(client.stdout.toString().trim(), 'fna349fn#OK#{"register": "10.0.0.1"}');
  });

  it("'disco-client --legacy' lists a pyaes server", async () => {
    const server = Bun.spawn([PYTHON, "-c", SERVER, "oldmagic", "pw"], { stdout: "pipe", stderr: "pipe" });
    procs.push(server);
    const out = new LineReader(server.stdout);
    const port = (await out.waitFor(/port (\d+)/)).captures[1]!;
    const p = Bun.spawn([join(disco, "..", "disco-client"), "--legacy", "-m", "oldmagic", "--password", "pw", "--to", `127.0.0.1:${port}`, "-t", "1", "--json"], { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    assert.equal(code, 0, stderr);
    const doc = JSON.parse(stdout);
    assert.deepEqual(doc.hosts[0].services, { register: "10.0.0.9", name: "py" });
    await out.waitFor(/served/);
    assert.equal(await server.exited, 0);
  });
});

// PyDiscover's own defaults (port 50000, magic "fna349fn", a 5 s client wait) are fixed, well-known values,
// so these run in namespaces of their own, where nobody else's test can hold port 50000.
const nsSkip = skip ?? netnsUnavailable();

describe("--legacy takes PyDiscover's defaults (no -p, -m or -t), both ways", { skip: nsSkip }, () => {
  let disco = "";
  const tmp = mkdtempSync(join(tmpdir(), "disco-legacy-ns-"));
  before(() => {
    disco = ensureBuilt();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("a stock PyDiscover client (port 50000, magic fna349fn, broadcast) gets 'disco-server --legacy'", async () => {
    await using lan = await createLan(2);
    const [serverHost, clientHost] = lan.hosts;
    const services = join(tmp, "info.cfg");
    writeFileSync(services, "[DEFAULT]\nregister = 10.0.0.1\n");
    const pw = join(tmp, "pw");
    writeFileSync(pw, "s3cret\n");
    const server = serverHost!.spawn([join(disco, "..", "disco-server"), "--legacy", "--password-file", pw, "-d", services]);
    await new LineReader(server.stderr).waitFor(/listening on 0\.0\.0\.0:50000 .*legacy/);
    const r = clientHost!.exec([PYTHON, "-c", CLIENT, "fna349fn", "50000", "s3cret", lan.broadcast]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'fna349fn#OK#{"register": "10.0.0.1"}');
  });

  it("'disco-client --legacy' finds a stock PyDiscover server and waits PyDiscover's 5 s", { timeout: 30_000 }, async () => {
    await using lan = await createLan(2);
    const [serverHost, clientHost] = lan.hosts;
    const server = serverHost!.spawn([PYTHON, "-c", SERVER, "fna349fn", "pw", "0.0.0.0", "50000"]);
    await new LineReader(server.stdout).waitFor(/port 50000/);
    const t0 = performance.now();
    const r = clientHost!.exec([join(disco, "..", "disco-client"), "--legacy", "--password", "pw", "-i", "eth0", "--json"]);
    const elapsedMs = performance.now() - t0;
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.queried, [`${lan.broadcast}:50000`]);
    assert.deepEqual(doc.hosts[0].services, { register: "10.0.0.9", name: "py" });
    // It collects every answer until the timeout: PyDiscover's 5 s, not disco's 2 s.
    assert.ok(elapsedMs >= 4500, `returned after ${elapsedMs.toFixed(0)} ms`);
  });
});
