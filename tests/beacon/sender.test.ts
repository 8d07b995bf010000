import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBeaconBuilder, runBeaconSender, BeaconCounters } from "../../lib/beacon/index.ts";
import { NetError } from "../../lib/net/index.ts";

describe("runBeaconSender()", () => {
  it("sends at once to every target, counts errors, and says goodbye on abort", async () => {
    const sent: string[] = [];
    const ac = new AbortController();
    const counters = new BeaconCounters();
    const builder = await createBeaconBuilder({ self: { host: "h" }, intervalMs: 60_000, unixNowMs: () => 1000 });
    const done = runBeaconSender({
      signal: ac.signal,
      builder,
      targets: ["127.255.255.255", "10.255.255.255"],
      port: 9000,
      intervalMs: 60_000,
      counters,
      socket: {
        send: async (data, port, address) => {
          if (address.startsWith("10.")) throw new NetError("unreachable");
          sent.push(`${new TextDecoder().decode(data)} -> ${address}:${port}`);
          if (sent.length === 1) ac.abort();
        },
      },
    });
    await done;
    assert.deepEqual(sent, ["HOST h 1 -> 127.255.255.255:9000", "BYE h 1 -> 127.255.255.255:9000"]);
    assert.equal(counters.errors, 2);
    assert.equal(counters.packetsSent, 2);
  });
});
