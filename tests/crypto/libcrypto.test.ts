/**
 * AES-256-GCM through OpenSSL (lib/crypto/_libcrypto.ts) against node:crypto: the same bytes for every key,
 * nonce, AAD and plaintext, the same refusals, views at any offset, overlapping buffers, and plaintexts
 * larger than the scratch buffer; the fallback when `DISCO_CRYPTO=node` is set; and a sealed discovery round
 * between a compiled server on one backend and a client on the other, over loopback.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { loadLibcrypto, type NativeGcm } from "../../lib/crypto/_libcrypto.ts";
import { aeadBackend, importAeadKey, openAesGcmAt, openAesGcmSync, sealAesGcmInto, sealAesGcmSync } from "../../lib/crypto/index.ts";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

const lib = loadLibcrypto();
// CI installs libssl3 (a dependency of systemd, which it installs): there the native path must be tested.
const why = lib ? undefined : "libcrypto.so.3 is not loadable here: the OpenSSL path is not tested";
if (why && process.env.CI === "true") throw new Error(`${why} (CI must test it)`);
if (why) console.log(why);

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  return new Uint8Array([...c.update(plain), ...c.final(), ...c.getAuthTag()]);
}

function nodeOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  try {
    const d = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const p = d.update(sealed.subarray(0, sealed.length - 16));
    d.final();
    return new Uint8Array(p);
  } catch {
    return undefined;
  }
}

/** `bytes` copied into a larger buffer at `at`: a view whose byteOffset is not 0. */
function viewAt(bytes: Uint8Array, at: number): Uint8Array {
  const big = new Uint8Array(at + bytes.length + 7).fill(0xee);
  big.set(bytes, at);
  return big.subarray(at, at + bytes.length);
}

const caseArb = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  aad: fc.uint8Array({ maxLength: 64 }),
  plain: fc.uint8Array({ maxLength: 1500 }),
  at: fc.nat(40),
});

describe("AES-256-GCM through OpenSSL", { skip: why }, () => {
  const gcm = (key: Uint8Array): NativeGcm => lib!.gcm(key)!;

  it("seals as node:crypto does, and opens what node:crypto sealed, at any view offset", () => {
    fc.assert(
      fc.property(caseArb, ({ key, nonce, aad, plain, at }) => {
        const g = gcm(key);
        const expected = nodeSeal(key, nonce, aad, plain);
        const out = new Uint8Array(at + expected.length + 3);
        g.sealInto(viewAt(nonce, at), viewAt(aad, at + 1), viewAt(plain, at + 2), out, at);
        assert.deepEqual(out.subarray(at, at + expected.length), expected);
        assert.ok(out.subarray(0, at).every((b) => b === 0) && out.subarray(at + expected.length).every((b) => b === 0), "nothing written outside the sealed bytes");
        // A datagram: AAD, nonce, then ciphertext and tag, inside a larger buffer.
        const dgram = viewAt(new Uint8Array([...aad, ...nonce, ...expected]), at);
        const opened = g.open(dgram, aad.length, dgram, aad.length, dgram, aad.length + 12, dgram.length - 16);
        assert.deepEqual(opened, plain);
        // Collections move small arrays' bytes: pointers kept across calls must survive them.
        if (at % 8 === 0) Bun.gc(false);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses a changed byte anywhere (AAD, nonce, ciphertext, tag) as node:crypto does", () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ key, nonce, aad, plain }, where, flip) => {
        const g = gcm(key);
        const dgram = new Uint8Array([...aad, ...nonce, ...nodeSeal(key, nonce, aad, plain)]);
        const i = where % dgram.length;
        dgram[i]! ^= flip;
        const a = aad.length;
        assert.equal(g.open(dgram, a, dgram, a, dgram, a + 12, dgram.length - 16), undefined);
        assert.equal(nodeOpen(key, dgram.subarray(a, a + 12), dgram.subarray(0, a), dgram.subarray(a + 12)), undefined);
      }),
      { numRuns: 400 },
    );
  });

  it("a failed open does not spoil the next one (the context is reset per call)", () => {
    const key = new Uint8Array(32).fill(3);
    const g = gcm(key);
    const nonce = new Uint8Array(12).fill(1);
    const sealed = nodeSeal(key, nonce, new Uint8Array(0), new Uint8Array(100).fill(9));
    const bad = sealed.slice();
    bad[5]! ^= 1;
    for (let i = 0; i < 3; i++) {
      assert.equal(g.open(nonce, 0, new Uint8Array(0), 0, bad, 0, bad.length - 16), undefined);
      assert.deepEqual(g.open(nonce, 0, new Uint8Array(0), 0, sealed, 0, sealed.length - 16), new Uint8Array(100).fill(9));
    }
  });

  it("opens a plaintext larger than its 64 KiB scratch buffer into a buffer of its own", () => {
    const key = new Uint8Array(32).fill(4);
    const nonce = new Uint8Array(12).fill(2);
    const plain = new Uint8Array(200_000).map((_, i) => i & 0xff);
    const sealed = nodeSeal(key, nonce, new Uint8Array([1]), plain);
    const small = nodeSeal(key, nonce, new Uint8Array([1]), new Uint8Array([7, 8]));
    const g = gcm(key);
    const big = g.open(nonce, 0, new Uint8Array([1]), 1, sealed, 0, sealed.length - 16);
    assert.deepEqual(big, plain);
    // The scratch buffer is shared: an answer is a copy, so a later open does not change it.
    const first = g.open(nonce, 0, new Uint8Array([1]), 1, small, 0, small.length - 16)!;
    g.open(nonce, 0, new Uint8Array([1]), 1, sealed, 0, sealed.length - 16);
    assert.deepEqual(first, new Uint8Array([7, 8]));
  });

  it("seals a plaintext in place, and one that overlaps its output, as a copy would", () => {
    const key = new Uint8Array(32).fill(5);
    const nonce = new Uint8Array(12).fill(6);
    const plain = new Uint8Array(50).map((_, i) => i);
    const expected = nodeSeal(key, nonce, new Uint8Array(0), plain);
    const inPlace = new Uint8Array(66);
    inPlace.set(plain, 0);
    gcm(key).sealInto(nonce, new Uint8Array(0), inPlace.subarray(0, 50), inPlace, 0);
    assert.deepEqual(inPlace, expected);
    const shifted = new Uint8Array(80);
    shifted.set(plain, 10);
    gcm(key).sealInto(nonce, new Uint8Array(0), shifted.subarray(10, 60), shifted, 3);
    assert.deepEqual(shifted.subarray(3, 69), expected);
  });

  it("is what the keyring functions use, with the same answers and refusals as before", () => {
    assert.match(aeadBackend(), /^OpenSSL \(libcrypto\.so\.3\)$/);
    const raw = new Uint8Array(32).fill(8);
    const key = importAeadKey(raw);
    assert.ok(key.native, "the key has OpenSSL contexts");
    const nonce = new Uint8Array(12).fill(1);
    const aad = new Uint8Array([1, 2, 3]);
    const sealed = sealAesGcmSync(key, nonce, aad, new Uint8Array([4, 5]));
    assert.deepEqual(sealed, nodeSeal(raw, nonce, aad, new Uint8Array([4, 5])));
    assert.deepEqual(openAesGcmSync(key, nonce, aad, sealed), new Uint8Array([4, 5]));
    sealed[0]! ^= 1;
    assert.throws(() => openAesGcmSync(key, nonce, aad, sealed), { name: "OpenError" });
    // A datagram as the receive loops see it: a header (the AAD) that holds the nonce, then ciphertext and tag.
    const header = new Uint8Array([...aad, ...nonce]);
    const dgram = new Uint8Array([...header, ...nodeSeal(raw, nonce, header, new Uint8Array([9]))]);
    assert.deepEqual(openAesGcmAt(key, dgram, 3, header.length), new Uint8Array([9]));
    // Ranges a caller gets wrong are refused before any pointer reaches C.
    assert.equal(openAesGcmAt(key, dgram, dgram.length - 4, header.length), undefined);
    assert.equal(openAesGcmAt(key, dgram, -1, header.length), undefined);
    assert.equal(openAesGcmAt(key, dgram, 3, dgram.length), undefined);
    assert.equal(openAesGcmAt(key, dgram, 3, -1), undefined);
    assert.throws(() => sealAesGcmInto(key, nonce, aad, new Uint8Array(10), new Uint8Array(25), 0), RangeError);
  });
});

describe("forceNodeCrypto() (what DISCO_CRYPTO=node makes main.ts call)", () => {
  it("makes the keys imported after it use node:crypto, with the same sealed bytes", () => {
    const script = `
      import { aeadBackend, forceNodeCrypto, importAeadKey, sealAesGcmSync } from "./lib/crypto/index.ts";
      if (process.argv.at(-1) === "force") forceNodeCrypto();
      const key = importAeadKey(new Uint8Array(32).fill(8));
      const sealed = sealAesGcmSync(key, new Uint8Array(12).fill(1), new Uint8Array([1, 2, 3]), new Uint8Array([4, 5]));
      console.log(JSON.stringify({ backend: aeadBackend(), native: key.native !== undefined, sealed: Buffer.from(sealed).toString("hex") }));`;
    const run = (mode: string) => {
      const p = Bun.spawnSync([process.execPath, "-e", script, mode], { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" });
      assert.equal(p.exitCode, 0, p.stderr.toString());
      return JSON.parse(p.stdout.toString()) as { backend: string; native: boolean; sealed: string };
    };
    const forced = run("force");
    assert.deepEqual({ backend: forced.backend, native: forced.native }, { backend: "node:crypto", native: false });
    assert.equal(forced.sealed, Buffer.from(nodeSeal(new Uint8Array(32).fill(8), new Uint8Array(12).fill(1), new Uint8Array([1, 2, 3]), new Uint8Array([4, 5]))).toString("hex"));
    if (!why) assert.equal(run("default").sealed, forced.sealed);
  });

  it("DISCO_CRYPTO other than 'node' or 'openssl' is refused by the binary, naming the values it takes", () => {
    const disco = ensureBuilt();
    const p = Bun.spawnSync([disco, "--version"], { env: { ...process.env, DISCO_CRYPTO: "boringssl" }, stdout: "pipe", stderr: "pipe" });
    assert.equal(p.exitCode, 2);
    assert.match(p.stderr.toString(), /DISCO_CRYPTO is 'boringssl'; it may be 'node' .* or 'openssl'/);
    const ok = Bun.spawnSync([disco, "--version"], { env: { ...process.env, DISCO_CRYPTO: "openssl" }, stdout: "pipe", stderr: "pipe" });
    assert.equal(ok.exitCode, 0);
  });
});

describe("sealed discovery across the two backends (compiled binary, loopback)", { skip: why }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "disco-libcrypto-"));
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const [serverEnv, clientEnv] of [[{ DISCO_CRYPTO: "node" }, {}], [{}, { DISCO_CRYPTO: "node" }]] as const) {
    it(`a server on ${serverEnv.DISCO_CRYPTO ?? "OpenSSL"} answers a client on ${"DISCO_CRYPTO" in clientEnv ? "node:crypto" : "OpenSSL"}`, { timeout: 30_000 }, async () => {
      const disco = ensureBuilt();
      const key = join(tmp, "k");
      writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString(), { mode: 0o600 });
      const version = Bun.spawnSync([disco, "--version"], { env: { ...process.env, ...serverEnv }, stdout: "pipe" }).stdout.toString();
      assert.match(version, "DISCO_CRYPTO" in serverEnv ? /AES-GCM by node:crypto\)$/m : /AES-GCM by OpenSSL \(libcrypto\.so\.3\)\)$/m);
      const server = Bun.spawn([join(disco, "..", "disco-server"), "-p", "0", "-l", "127.0.0.1", "-m", "two-backends", "--key-file", key, "--name", "mixed"], { env: { ...process.env, ...serverEnv }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
      procs.push(server);
      const port = Number((await new LineReader(server.stderr).waitFor(/listening on [\d.]+:(\d+)/)).captures[1]);
      const client = Bun.spawn([join(disco, "..", "disco-client"), "--to", `127.0.0.1:${port}`, "-m", "two-backends", "--key-file", key, "-t", "1", "--json"], { env: { ...process.env, ...clientEnv }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
      const [out, err, code] = await Promise.all([new Response(client.stdout).text(), new Response(client.stderr).text(), client.exited]);
      assert.equal(code, 0, err);
      assert.match(out, /"host":\s*"mixed"/);
      server.kill("SIGTERM");
      await server.exited;
    });
  }
});
