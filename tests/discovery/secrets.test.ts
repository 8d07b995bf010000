import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeKey, KeyError } from "../../lib/crypto/index.ts";
import { buildKeyring, parseKeyFile, parsePasswordFile } from "../../lib/discovery/index.ts";

describe("discovery secrets", () => {
  it("buildKeyring() puts the password's key first, then the raw keys; none gives no keyring", async () => {
    const raw = encodeKey(new Uint8Array(32).fill(3));
    const both = await buildKeyring({ magic: "m", password: "pw", keyTexts: [raw], iterations: 10 });
    const keyOnly = await buildKeyring({ magic: "m", keyTexts: [raw] });
    assert.equal(both?.keys.length, 2);
    assert.deepEqual(both?.keys[1]!.id, keyOnly?.keys[0]!.id);
    assert.equal(await buildKeyring({ magic: "m" }), undefined);
  });

  it("buildKeyring() binds the password to the magic", async () => {
    const a = await buildKeyring({ magic: "a", password: "pw", iterations: 10 });
    const b = await buildKeyring({ magic: "b", password: "pw", iterations: 10 });
    assert.notDeepEqual(a?.keys[0]!.id, b?.keys[0]!.id);
  });

  it("buildKeyring() rejects a key that is not 32 bytes", async () => {
    await assert.rejects(buildKeyring({ magic: "m", keyTexts: ["abcd"] }), KeyError);
  });

  it("parseKeyFile() skips blanks and comments; parsePasswordFile() takes the first line", () => {
    assert.deepEqual(parseKeyFile("# rotation\nAAA\n\n  BBB  \r\n"), ["AAA", "BBB"]);
    assert.equal(parsePasswordFile("secret words\nignored\n"), "secret words");
    assert.equal(parsePasswordFile("crlf\r\n"), "crlf");
  });
});
