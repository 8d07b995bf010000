import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import {
  BeaconFrameError,
  decodeDatagram,
  decodeDiscoPyBeacon,
  decodeEnvelope,
  decodeRichBeacon,
  decodeVaultAnnouncement,
  encodeDiscoPyBeacon,
  encodeRichBeacon,
  encodeUnsealedEnvelope,
  encodeVaultAnnouncement,
  VAULT_FIELD_MAX_CHARS,
  openBeaconSync,
  sealBeacon,
  type DropReason,
} from "../../lib/beacon/index.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** deriveChannelId("disco"), pinned so a change in derivation shows up here. */
const CHANNEL = fromHex("e0bf4ad0");

function reasonOf(fn: () => unknown): DropReason {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BeaconFrameError, `expected BeaconFrameError, got ${String(err)}`);
    return err.reason;
  }
  assert.fail("expected a BeaconFrameError");
}

describe("encodeDiscoPyBeacon()", () => {
  it("writes exactly disco.py's bytes: HOST <name> <integer seconds>", () => {
    const b = encodeDiscoPyBeacon("shed", 1700000000.9);
    assert.equal(
      hex(b),
      "484f5354" + // "HOST"
        "20" + // " "
        "73686564" + // "shed"
        "20" + // " "
        "31373030303030303030", // "1700000000" (fraction dropped, like int(time.time()))
    );
    assert.equal(text(b), "HOST shed 1700000000");
  });
  it("writes the goodbye as BYE <name> <seconds>", () => {
    assert.equal(text(encodeDiscoPyBeacon("shed", 5, { bye: true })), "BYE shed 5");
  });
  it("rejects a host name that breaks the host name rule", () => {
    assert.throws(() => encodeDiscoPyBeacon("my shed", 1), RangeError);
    assert.throws(() => encodeDiscoPyBeacon("", 1), RangeError);
    assert.throws(() => encodeDiscoPyBeacon("pi\x1b", 1), RangeError);
    assert.throws(() => encodeDiscoPyBeacon("-pi", 1), RangeError);
  });
});

describe("decodeDiscoPyBeacon()", () => {
  it("round-trips and tolerates a trailing newline and a fractional time", () => {
    assert.deepEqual(decodeDiscoPyBeacon("HOST shed 1700000000"), { bye: false, host: "shed", unixSeconds: 1700000000, text: "HOST shed 1700000000" });
    assert.equal(decodeDiscoPyBeacon("HOST pi-3 1700000000.25\n").host, "pi-3");
    assert.equal(decodeDiscoPyBeacon("BYE shed 1\r\n").bye, true);
  });
  it("rejects malformed text", () => {
    for (const t of ["HOST", "HOST shed", "HOST  shed 1", "HOST shed x", "HOST shed 1 2", "host shed 1", "HOST shed -1", "HOST a\nb 1"]) {
      assert.equal(reasonOf(() => decodeDiscoPyBeacon(t)), "malformed", t);
    }
  });
  it("counts a name too long or with a tab (or any character the rule refuses) as bad-name, not malformed (audit #5)", () => {
    assert.equal(decodeDiscoPyBeacon(`HOST ${"a".repeat(253)} 1`).host.length, 253);
    for (const t of [`HOST ${"a".repeat(254)} 1`, `BYE ${"a".repeat(4000)} 1`, "HOST a\tb 1", "HOST \tshed 1", "HOST sh\x00ed 1", "HOST caf\u00e9 1", "HOST a\u00a0b 1"]) {
      assert.equal(reasonOf(() => decodeDiscoPyBeacon(t)), "bad-name", JSON.stringify(t.slice(0, 40)));
    }
  });
});

const RICH_JSON = '{"v":1,"host":"shed","boot":"0123456789abcdef","seq":7,"interval_ms":15000,"addresses":["10.0.0.5"]}';

describe("rich beacon envelope", () => {
  it("encodes the unsealed golden bytes", () => {
    const payload = encodeRichBeacon({ host: "shed", boot: "0123456789abcdef", seq: 7, intervalMs: 15000, addresses: ["10.0.0.5"] });
    assert.equal(text(payload), RICH_JSON);
    const frame = encodeUnsealedEnvelope(CHANNEL, payload);
    assert.equal(
      hex(frame.subarray(0, 8)),
      "fe" + // MARKER (never valid UTF-8)
        "01" + // VERSION 1
        "00" + // FLAGS: unsealed
        "00" + // reserved
        "e0bf4ad0", // channel id of magic "disco"
    );
    assert.equal(text(frame.subarray(8)), RICH_JSON);
    const d = decodeDatagram(frame, { channelId: CHANNEL });
    assert.equal(d.kind, "rich");
    if (d.kind === "rich") assert.deepEqual(d.beacon, { host: "shed", boot: "0123456789abcdef", seq: 7, intervalMs: 15000, addresses: ["10.0.0.5"] });
  });

  it("pins the channel id derivation", async () => {
    assert.equal(hex(await deriveChannelId("disco")), "e0bf4ad0");
  });

  it("seals to the golden bytes with a fixed key and nonce, and opens them", async () => {
    const ring = await createKeyring([new Uint8Array(32).map((_, i) => i)], "beacon");
    const frame = await sealBeacon(ring, CHANNEL, bytes(RICH_JSON), { nonce: new Uint8Array(12).fill(0x11) });
    const golden = fromHex(`
      fe 01 01 00
      e0bf4ad0
      54322f51
      111111111111111111111111
      c70a35c379b19cec68da40b5b55450a2de4b90a3656094d24b3e05b23ab9ef85e292e8b4472d3f1f6183830aa32093dc713a798e
      7b599a9735b4fa96762e4e30fb0e5a6d9c5462756e15416f1c8191b495edc94d2049ff76e98974c50386a959eaf2aa5ceb4b222e
      3aafc66ff6ba49f90c452348`);
    // fe: marker, 01: version, 01: FLAGS sealed, 00: reserved, then channel id, key id (HKDF of key 00..1f),
    // nonce, AES-256-GCM ciphertext of RICH_JSON and the 16-byte tag.
    assert.equal(hex(frame), hex(golden));
    const d = decodeDatagram(golden, { channelId: CHANNEL });
    assert.equal(d.kind, "sealed");
    if (d.kind !== "sealed") return;
    assert.equal(text(openBeaconSync(ring, d.envelope)), RICH_JSON);
  });

  it("refuses a flipped bit as forged, another key as unknown-key", async () => {
    const ring = await createKeyring([new Uint8Array(32).fill(1)], "beacon");
    const other = await createKeyring([new Uint8Array(32).fill(2)], "beacon");
    const frame = await sealBeacon(ring, CHANNEL, bytes(RICH_JSON));
    for (const i of [2 + 20, 30, frame.length - 1]) {
      const bad = frame.slice();
      bad[i]! ^= 1;
      const d = decodeDatagram(bad, { channelId: CHANNEL });
      assert.equal(d.kind, "sealed");
      if (d.kind === "sealed") assert.throws(() => openBeaconSync(ring, d.envelope), (e: unknown) => e instanceof BeaconFrameError && e.reason === "forged");
    }
    const d = decodeDatagram(frame, { channelId: CHANNEL });
    if (d.kind === "sealed") assert.throws(() => openBeaconSync(other, d.envelope), (e: unknown) => e instanceof BeaconFrameError && e.reason === "unknown-key");
  });

  it("decodes every prefix of a frame without crashing (only BeaconFrameError)", () => {
    const frame = encodeUnsealedEnvelope(CHANNEL, bytes(RICH_JSON));
    for (let n = 0; n < frame.length; n++) {
      assert.ok(["truncated", "malformed", "not-utf8"].includes(reasonOf(() => decodeDatagram(frame.subarray(0, n), { channelId: CHANNEL }))), `prefix ${n}`);
    }
  });
});

describe("decodeDatagram()", () => {
  const cases: [string, Uint8Array, DropReason][] = [
    ["empty", new Uint8Array(0), "truncated"],
    ["oversized", new Uint8Array(9000).fill(0x41), "oversized"],
    ["not UTF-8", new Uint8Array([0x48, 0x4f, 0x53, 0x54, 0x20, 0xc3, 0x28]), "not-utf8"],
    ["unknown text", bytes("hello"), "unknown-format"],
    ["bad HOST line", bytes("HOST a b c"), "malformed"],
    ["short envelope", fromHex("fe0100"), "truncated"],
    ["bad version", fromHex("fe020000e0bf4ad07b7d"), "malformed"],
    ["bad flags", fromHex("fe010400e0bf4ad07b7d"), "malformed"],
    ["reserved set", fromHex("fe010001e0bf4ad07b7d"), "malformed"],
    ["foreign channel", fromHex("fe01000000000000" + hex(bytes(RICH_JSON))), "foreign-channel"],
    ["short sealed", fromHex("fe010100e0bf4ad0" + "00".repeat(20)), "truncated"],
    ["JSON not object", encodeUnsealedEnvelope(CHANNEL, bytes("[1]")), "malformed"],
    ["payload not UTF-8", encodeUnsealedEnvelope(CHANNEL, new Uint8Array([0xff])), "not-utf8"],
    ["missing boot", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":"a","seq":1,"interval_ms":1000}')), "malformed"],
    ["bad seq", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":"a","boot":"0123456789abcdef","seq":-1,"interval_ms":1000}')), "malformed"],
    ["tiny interval", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":"a","boot":"0123456789abcdef","seq":1,"interval_ms":5}')), "malformed"],
    ["host with space", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":"a b","boot":"0123456789abcdef","seq":1,"interval_ms":1000}')), "bad-name"],
    ["host with an OSC 52 sequence", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":"a\\u001b]52;c;aGk=\\u0007","boot":"0123456789abcdef","seq":1,"interval_ms":1000}')), "bad-name"],
    ["an address that is not an IP literal", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":"a","boot":"0123456789abcdef","seq":1,"interval_ms":1000,"addresses":["10.0.0.5\\u001b[2J"]}')), "malformed"],
    ["host not a string", encodeUnsealedEnvelope(CHANNEL, bytes('{"v":1,"host":7,"boot":"0123456789abcdef","seq":1,"interval_ms":1000}')), "malformed"],
    ["disco.py host with ESC", bytes("HOST a\x1b[2J 1"), "bad-name"],
    ["disco.py host with a leading '-'", bytes("HOST -rf 1"), "bad-name"],
    ["disco.py host '..'", bytes("BYE .. 1"), "bad-name"],
    ["disco.py host with a glob", bytes("HOST * 1"), "bad-name"],
    ["disco.py host with a bidi override", bytes("HOST a\u202eb 1"), "bad-name"],
  ];
  for (const [name, b, reason] of cases) {
    it(`drops ${name} as ${reason}`, () => assert.equal(reasonOf(() => decodeDatagram(b, { channelId: CHANNEL })), reason));
  }
  it("accepts a disco.py beacon", () => {
    const d = decodeDatagram(bytes("HOST shed 1700000000"), { channelId: CHANNEL });
    assert.deepEqual(d, { kind: "disco.py", beacon: { bye: false, host: "shed", unixSeconds: 1700000000, text: "HOST shed 1700000000" } });
  });
  it("round-trips every optional rich field and ignores unknown ones", () => {
    const b = { host: "h", boot: "ffffffffffffffff", seq: 1, intervalMs: 1000, addresses: [], version: "0.1.0", services: { http: { port: 80 } }, metricsEndpoint: "tcp://10.0.0.1:9000", gpio: ["led"], unixMs: 1, bye: true } as const;
    assert.deepEqual(decodeRichBeacon(encodeRichBeacon(b)), b);
    const extra = bytes('{"v":1,"host":"a","boot":"0123456789abcdef","seq":1,"interval_ms":1000,"future":42}');
    assert.equal(decodeRichBeacon(extra).host, "a");
  });
});

describe("decodeVaultAnnouncement()", () => {
  it("parses py-vault-multicast's golden announcement", () => {
    const golden = bytes('{"type": "vault", "name": "vault-1", "addr": "10.0.0.7:8200", "version": "1.15.2", "timestamp": 1700000000.5}');
    assert.deepEqual(decodeVaultAnnouncement(golden), { type: "vault", name: "vault-1", addr: "10.0.0.7:8200", version: "1.15.2", timestamp: 1700000000.5 });
  });
  it("encodes in json.dumps key order and accepts a numeric version", () => {
    const a = { type: "t", name: "n", addr: "a", version: "2", timestamp: 3 };
    assert.equal(text(encodeVaultAnnouncement(a)), '{"type":"t","name":"n","addr":"a","version":"2","timestamp":3}');
    assert.equal(decodeVaultAnnouncement(bytes('{"type":"t","name":"n","addr":"a","version":2,"timestamp":3}')).version, "2");
  });
  it("caps every text field, version at 64 characters as a rich beacon's (audit #3)", () => {
    const ann = (o: Record<string, string>) => bytes(JSON.stringify({ type: "vault", name: "v", addr: "10.0.0.7:8200", version: "1", timestamp: 1, ...o }));
    for (const [k, max] of Object.entries(VAULT_FIELD_MAX_CHARS)) {
      assert.equal(decodeVaultAnnouncement(ann({ [k]: "x".repeat(max) }))[k as keyof typeof VAULT_FIELD_MAX_CHARS].length, max, k);
      assert.equal(reasonOf(() => decodeVaultAnnouncement(ann({ [k]: "x".repeat(max + 1) }))), "malformed", k);
    }
    assert.equal(VAULT_FIELD_MAX_CHARS.version, 64);
    assert.equal(reasonOf(() => decodeVaultAnnouncement(ann({ version: "9".repeat(7900) }))), "malformed", "the audit's 7.9 KB version");
  });
  it("drops bad announcements", () => {
    assert.equal(reasonOf(() => decodeVaultAnnouncement(new Uint8Array([0xff]))), "not-utf8");
    assert.equal(reasonOf(() => decodeVaultAnnouncement(bytes("{"))), "malformed");
    assert.equal(reasonOf(() => decodeVaultAnnouncement(bytes('{"type":"t","name":"","addr":"a","version":"1","timestamp":1}'))), "malformed");
    assert.equal(reasonOf(() => decodeVaultAnnouncement(bytes('{"type":"t","name":"n","addr":"a","version":"1"}'))), "malformed");
  });
});
