import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLan, netnsUnavailable } from "./_netns.ts";

const skip = netnsUnavailable();

describe("createLan()", { skip }, () => {
  it("builds hosts that reach each other by broadcast and removes them on dispose", async () => {
    const names: string[] = [];
    {
      await using lan = await createLan(2);
      names.push(...lan.hosts.map((h) => h.ns));
      const [a, b] = lan.hosts;
      const script = `
        const s = require("node:dgram").createSocket({ type: "udp4", reuseAddr: true });
        s.bind(47123, () => { process.stdout.write("ready\\n"); });
        s.on("message", (m, r) => { process.stdout.write(m + " from " + r.address + "\\n"); process.exit(0); });`;
      const rx = b!.spawn([process.execPath, "-e", script]);
      const reader = rx.stdout.getReader();
      const dec = new TextDecoder();
      let text = "";
      while (!text.includes("ready")) text += dec.decode((await reader.read()).value);
      const send = a!.exec([process.execPath, "-e", `
        const s = require("node:dgram").createSocket("udp4");
        s.bind(0, () => { s.setBroadcast(true); s.send("hello", 47123, "10.77.0.255", () => s.close()); });`]);
      assert.equal(send.exitCode, 0, send.stderr);
      while (!text.includes("from")) {
        const r = await reader.read();
        if (r.done) break;
        text += dec.decode(r.value);
      }
      assert.match(text, /hello from 10\.77\.0\.1/);
    }
    const left = Bun.spawnSync(["ip", "netns", "list"]).stdout.toString();
    for (const n of names) assert.ok(!left.includes(n), `namespace ${n} was not removed`);
  });
});
