import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { collectRawKeys, createKeyring, encodeKey, KeyError, parseKeyFile, parsePasswordFile } from "../../lib/crypto/index.ts";

describe("collectRawKeys()", () => {
  it("puts the password's key first, then the raw keys; no secret gives no keys", async () => {
    const raw = encodeKey(new Uint8Array(32).fill(3));
    const both = await createKeyring(await collectRawKeys({ magic: "m", password: "pw", keyTexts: [raw], iterations: 10 }), "discovery");
    const keyOnly = await createKeyring(await collectRawKeys({ magic: "m", keyTexts: [raw] }), "discovery");
    assert.equal(both.keys.length, 2);
    assert.deepEqual(both.keys[1]!.id, keyOnly.keys[0]!.id);
    assert.deepEqual(await collectRawKeys({ magic: "m" }), []);
  });

  it("binds the password to the magic", async () => {
    const [a] = await collectRawKeys({ magic: "a", password: "pw", iterations: 10 });
    const [b] = await collectRawKeys({ magic: "b", password: "pw", iterations: 10 });
    assert.notDeepEqual(a, b);
  });

  it("rejects a key that is not 32 bytes", async () => {
    await assert.rejects(collectRawKeys({ magic: "m", keyTexts: ["abcd"] }), KeyError);
  });
});

describe("parseKeyFile() / parsePasswordFile()", () => {
  it("skips blanks and comments and keeps each key's line; the password is the first line", () => {
    assert.deepEqual(parseKeyFile("# rotation\nAAA\n\n  BBB  \r\n"), [{ line: 2, text: "AAA" }, { line: 4, text: "BBB" }]);
    assert.equal(parsePasswordFile("secret words\nignored\n"), "secret words");
    assert.equal(parsePasswordFile("crlf\r\n"), "crlf");
  });
});
