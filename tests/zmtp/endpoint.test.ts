import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EndpointError, formatEndpoint, parseEndpoint } from "../../lib/zmtp/index.ts";

describe("endpoint", () => {
  it("parseEndpoint() reads tcp hosts, wildcards, IPv6 and ipc paths", () => {
    assert.deepEqual(parseEndpoint("tcp://*:9000"), { transport: "tcp", host: "0.0.0.0", port: 9000, wildcard: true });
    assert.deepEqual(parseEndpoint("tcp://*:9000", { ipv6: true }), { transport: "tcp", host: "::", port: 9000, wildcard: true });
    assert.deepEqual(parseEndpoint("tcp://127.0.0.1:*"), { transport: "tcp", host: "127.0.0.1", port: 0, wildcard: false });
    assert.deepEqual(parseEndpoint("tcp://[::1]:5555"), { transport: "tcp", host: "::1", port: 5555, wildcard: false });
    assert.deepEqual(parseEndpoint("tcp://shed.local:9000"), { transport: "tcp", host: "shed.local", port: 9000, wildcard: false });
    assert.deepEqual(parseEndpoint("ipc:///var/tmp/disco"), { transport: "ipc", path: "/var/tmp/disco" });
  });

  for (const bad of ["", "tcp://", "tcp://host", "tcp://host:99999", "udp://x:1", "ipc://", "tcp://::1:5", `ipc:///${"x".repeat(120)}`, "9000"]) {
    it(`parseEndpoint() rejects ${JSON.stringify(bad.slice(0, 30))}`, () => {
      assert.throws(() => parseEndpoint(bad), EndpointError);
    });
  }

  it("formatEndpoint() brackets IPv6 and round-trips", () => {
    for (const text of ["tcp://10.0.0.5:9000", "tcp://[::1]:5555", "ipc:///tmp/x"]) assert.equal(formatEndpoint(parseEndpoint(text)), text);
  });
});
