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

// A PyDiscover-style client: one request to 127.0.0.1:PORT, prints the decrypted answer.
const CLIENT = `${COMMON}
magic, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(crypt(password, ("%s%s" % (magic, time.time())).encode()), ("127.0.0.1", port))
data, addr = s.recvfrom(65535)
print(crypt(password, data).decode(errors="ignore"))
`;

// A PyDiscover-style server: answers one fresh request on 127.0.0.1:0 with magic#OK#json.
const SERVER = `${COMMON}
magic, password = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
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
