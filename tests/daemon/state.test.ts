import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPersistentIdentity } from "../../lib/daemon/index.ts";

describe("openPersistentIdentity()", () => {
  it("continues the boot id, and a restart (even without a clean stop) numbers above everything sent", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "disco-state-")), "state");
    const first = openPersistentIdentity(dir, { blockSize: 10 });
    const sent = Array.from({ length: 25 }, () => first.nextSeq());
    assert.deepEqual(sent.slice(0, 3), [0, 1, 2]);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "beacon-identity.json"), "utf8")), { boot: first.boot, reserved: 30 }, "reserved in blocks, not per beacon");
    const second = openPersistentIdentity(dir, { blockSize: 10 });
    assert.equal(second.boot, first.boot);
    assert.ok(second.nextSeq() > Math.max(...sent));
  });

  it("starts a new identity over a file that is not one, and says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-state-"));
    writeFileSync(join(dir, "beacon-identity.json"), '{"boot":"zz","reserved":-1}');
    const problems: string[] = [];
    const id = openPersistentIdentity(dir, { onProblem: (m) => problems.push(m) });
    assert.match(id.boot, /^[0-9a-f]{16}$/);
    assert.equal(id.nextSeq(), 0);
    assert.match(problems[0] ?? "", /not a beacon identity/);
  });

  it("lives in memory when the directory cannot be written, and says so once", () => {
    const parent = mkdtempSync(join(tmpdir(), "disco-state-"));
    writeFileSync(join(parent, "file"), "");
    const problems: string[] = [];
    // A path below a regular file can never be created, even by root.
    const id = openPersistentIdentity(join(parent, "file", "state"), { blockSize: 2, onProblem: (m) => problems.push(m) });
    for (let i = 0; i < 6; i++) id.nextSeq();
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /a restart will start a new one/);
    chmodSync(parent, 0o700);
  });
});
