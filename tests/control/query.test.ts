import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRemoteQueries, QUERY_STDOUT_CAP_BYTES, spawnQuery, type Requester } from "../../lib/control/index.ts";

const WHO: Requester = { address: "10.77.0.2", port: 5000, keyId: "54322f51" };
const enc = new TextEncoder();
const PATH = { PATH: "/usr/bin:/bin" };

describe("createRemoteQueries() with real processes (spawnQuery)", () => {
  it("runs an argv command and returns its output and exit code", async () => {
    const q = createRemoteQueries([{ name: "e", argv: ["/bin/sh", "-c", "echo out; echo err >&2; exit 7"], timeoutMs: 5000 }], spawnQuery, { env: PATH });
    const r = await q.run("e", new Uint8Array(), WHO);
    assert.equal(r.status, "ok");
    assert.equal(r.body["exitCode"], 7);
    assert.equal(r.body["output"], "out\n");
    assert.equal(r.body["stderr"], "err\n");
    assert.equal(r.body["truncated"], false);
  });

  it("passes the payload in the environment and on stdin, never into the shell line", async () => {
    const shell = 'printf "%s|" "$DISCO_QUERY_NAME" "$DISCO_QUERY_PAYLOAD" "$DISCO_QUERY_PAYLOAD_BASE64" "$DISCO_QUERY_SOURCE" "$DISCO_QUERY_KEY_ID" "$DISCO_HOST"; cat';
    const q = createRemoteQueries([{ name: "p", shell, timeoutMs: 5000 }], spawnQuery, { env: PATH, host: "pi-1" });
    const payload = "'; touch /tmp/disco-pwned; echo $(id) `id`";
    const r = await q.run("p", enc.encode(payload), WHO);
    assert.equal(r.body["output"], `p|${payload}|${btoa(payload)}|10.77.0.2|54322f51|pi-1|${payload}`);
  });

  it("a payload that is not text (a NUL byte) is only in the base64 variable and on stdin", async () => {
    const q = createRemoteQueries([{ name: "p", shell: 'printf "[%s]" "${DISCO_QUERY_PAYLOAD-unset}"; od -An -tx1 | tr -d " \\n"', timeoutMs: 5000 }], spawnQuery, { env: PATH });
    const r = await q.run("p", Uint8Array.of(0x61, 0, 0x62), WHO);
    assert.equal(r.body["output"], "[unset]610062");
  });

  it("a command that hangs is killed after its timeout and says so", async () => {
    const q = createRemoteQueries([{ name: "hang", argv: ["sleep", "30"], timeoutMs: 200 }], spawnQuery, { env: PATH });
    const started = performance.now();
    const r = await q.run("hang", new Uint8Array(), WHO);
    assert.ok(performance.now() - started < 10_000);
    assert.equal(r.status, "ok");
    assert.equal(r.body["exitCode"], null);
    assert.equal(r.body["timedOut"], true);
  });

  it("a command that prints megabytes is cut at 4 KB, marked, and killed once it passes 1 MB", async () => {
    const q = createRemoteQueries([{ name: "yes", argv: ["yes"], timeoutMs: 20_000 }], spawnQuery, { env: PATH });
    const r = await q.run("yes", new Uint8Array(), WHO);
    assert.equal((r.body["output"] as string).length, QUERY_STDOUT_CAP_BYTES);
    assert.equal(r.body["truncated"], true);
    assert.equal(r.body["exitCode"], null);
    assert.match(r.body["message"] as string, /printing more than/);
  });

  it("a program that does not exist is refused as failed; an unknown name as unknown-query", async () => {
    const q = createRemoteQueries([{ name: "x", argv: ["/nonexistent/disco-test"], timeoutMs: 1000 }], spawnQuery, { env: PATH });
    assert.equal((await q.run("x", new Uint8Array(), WHO)).status, "failed");
    assert.equal(q.check("nope")?.status, "unknown-query");
    assert.equal(q.check("x"), undefined);
  });

  it("the child's environment is exactly the base plus DISCO_*: a DISCO_QUERY_ variable from the base cannot be forged", async () => {
    const q = createRemoteQueries([{ name: "env", argv: ["/usr/bin/env"], timeoutMs: 5000 }], spawnQuery, { env: { ...PATH, DISCO_QUERY_SOURCE: "forged", OTHER: "1" } });
    const lines = ((await q.run("env", new Uint8Array(), WHO)).body["output"] as string).trim().split("\n").sort();
    assert.deepEqual(lines, ["DISCO_QUERY_KEY_ID=54322f51", "DISCO_QUERY_NAME=env", "DISCO_QUERY_PAYLOAD=", "DISCO_QUERY_PAYLOAD_BASE64=", "DISCO_QUERY_SOURCE=10.77.0.2", "OTHER=1", "PATH=/usr/bin:/bin"]);
  });
});

describe("a query's worst-case answer", () => {
  it("4 KB of control characters (JSON-escaped six times larger) still fits one sealed result", async () => {
    const { encodeResult, sealControlFrame, CONTROL_PURPOSE } = await import("../../lib/control/index.ts");
    const { createKeyring } = await import("../../lib/crypto/index.ts");
    const q = createRemoteQueries([{ name: "bin", shell: "head -c 8192 /dev/zero | tr '\\0' '\\1'; head -c 2048 /dev/zero | tr '\\0' '\\2' >&2", timeoutMs: 5000 }], spawnQuery, { env: PATH });
    const r = await q.run("bin", new Uint8Array(), WHO);
    assert.equal(r.body["truncated"], true);
    const ring = await createKeyring([new Uint8Array(32)], CONTROL_PURPOSE);
    const frame = await sealControlFrame("result", new Uint8Array(4), ring.keys[0]!, encodeResult({ id: new Uint8Array(16), status: "ok", body: { host: "x".repeat(253), ...r.body } }));
    assert.ok(frame.length < 65_507, `${frame.length} bytes`);
  });
});
