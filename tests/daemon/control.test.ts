import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openControlServer, requestControl, watchControl, type ControlRequest } from "../../lib/daemon/index.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-control-"));
let n = 0;
const socketPath = () => join(dir, `c${n++}.sock`);

function handle(r: ControlRequest): Promise<unknown> {
  if (r.request === "status") return Promise.resolve({ generation: 1 });
  if (r.request === "reload") return Promise.reject(new Error("cannot reload here"));
  return Promise.resolve({ hosts: [] });
}

/** Sends raw bytes and collects the reply lines until the server closes. */
function raw(path: string, bytes: string, { end = true } = {}): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let text = "";
    s.on("data", (c) => (text += c.toString()));
    s.on("error", reject);
    s.on("close", () => resolve(text.split("\n").filter(Boolean)));
    s.write(bytes);
    if (end) s.end();
  });
}

describe("openControlServer() / requestControl()", () => {
  it("answers requests, echoing their id; a handler's error is an internal error response", async () => {
    const path = socketPath();
    await using _server = await openControlServer({ path, handle });
    assert.deepEqual(await requestControl(path, { request: "status", id: 9 }), { ok: true, id: 9, result: { generation: 1 } });
    assert.deepEqual(await requestControl(path, { request: "reload" }), { ok: false, error: { code: "internal", message: "cannot reload here" } });
  });

  it("creates the socket with mode 0660 and removes it on close", async () => {
    const path = socketPath();
    const server = await openControlServer({ path, handle });
    assert.equal(statSync(path).mode & 0o777, 0o660);
    await server.close();
    assert.throws(() => statSync(path), { code: "ENOENT" });
  });

  it("answers garbage with an error and keeps the connection for the next request; a client may half-close", async () => {
    const path = socketPath();
    await using _server = await openControlServer({ path, handle });
    const lines = await raw(path, 'nonsense\n{"request":"reboot"}\n{"request":"status"}\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /"code":"malformed"/);
    assert.match(lines[1]!, /"code":"unknown-request"/);
    assert.deepEqual(JSON.parse(lines[2]!), { ok: true, result: { generation: 1 } });
  });

  it("times out a client that never finishes its request, and is not held up by it", async () => {
    const path = socketPath();
    await using _server = await openControlServer({ path, handle, idleTimeoutMs: 200 });
    const hanging = raw(path, '{"request":"sta', { end: false });
    assert.deepEqual(await requestControl(path, { request: "status" }), { ok: true, result: { generation: 1 } }, "others are answered meanwhile");
    const lines = await hanging;
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"code":"timeout"/);
  });

  it("refuses a line over the limit and closes", async () => {
    const path = socketPath();
    await using _server = await openControlServer({ path, handle });
    const lines = await raw(path, "x".repeat(1_100_000), { end: false });
    assert.match(lines[0] ?? "", /"code":"too-long"/);
  });

  it("close() is not held up by a client that keeps its half of the connection open (refused or timed out)", async () => {
    const path = socketPath();
    const server = await openControlServer({ path, handle, maxClients: 1, idleTimeoutMs: 300 });
    // A client that never ends its side: the server's end() alone would leave the connection half-open.
    const halfOpen = (bytes: string) =>
      new Promise<{ socket: Socket; line: Promise<string> }>((resolve, reject) => {
        const s = createConnection({ path, allowHalfOpen: true });
        const line = new Promise<string>((done) => {
          let text = "";
          s.on("data", (c) => {
            text += c.toString();
            if (text.includes("\n")) done(text.trim());
          });
        });
        s.on("error", reject);
        s.once("connect", () => resolve({ socket: s, line }));
        s.write(bytes);
      });
    // Accepted in order: the first holds the one place, the second is refused at once.
    const holder = await halfOpen('{"request":"sta');
    const refused = await halfOpen("");
    assert.match(await refused.line, /too many clients \(1\)/);
    assert.match(await holder.line, /"code":"timeout"/);
    const closed = await Promise.race([server.close().then(() => "closed"), new Promise((r) => setTimeout(() => r("still open after 5 s"), 5000).unref())]);
    assert.equal(closed, "closed");
    for (const c of [holder, refused]) c.socket.destroy();
  });

  it("replaces a stale socket file, but not a live daemon's socket or a file that is not a socket", async () => {
    const stale = socketPath();
    // A socket file nobody listens on, as a killed daemon leaves it.
    const made = Bun.spawnSync(["python3", "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", stale]);
    assert.equal(made.exitCode, 0, made.stderr.toString());
    assert.ok(statSync(stale).isSocket());
    await using _server = await openControlServer({ path: stale, handle });
    assert.equal((await requestControl(stale, { request: "status" })).ok, true);
    await assert.rejects(openControlServer({ path: stale, handle }), { name: "ControlError", message: /another daemon answers/ });
    const file = join(dir, "plain");
    writeFileSync(file, "");
    await assert.rejects(openControlServer({ path: file, handle }), { name: "ControlError", message: /not a socket/ });
  });

  it("requestControl() says no daemon answers when there is no socket", async () => {
    await assert.rejects(requestControl(join(dir, "none.sock"), { request: "status" }), { name: "ControlError", errno: "ENOENT", message: /no daemon answers/ });
  });

  it("watchControl() reads the response, then events until the caller stops", async () => {
    const path = socketPath();
    await using _server = await openControlServer({
      path,
      handle,
      async *watch(_r, signal) {
        for (let i = 0; i < 3 && !signal.aborted; i++) yield { i };
        await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
      },
    });
    const stop = new AbortController();
    const { response, events } = await watchControl(path, { request: "hosts" }, { signal: stop.signal });
    assert.deepEqual(response, { ok: true, result: { hosts: [] } });
    const seen: unknown[] = [];
    for await (const e of events) {
      seen.push(e);
      if (seen.length === 3) stop.abort();
    }
    assert.deepEqual(seen, [{ i: 0 }, { i: 1 }, { i: 2 }]);
  });
});
