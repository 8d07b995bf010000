/**
 * A dead host turns unavailable within its membership failure time, not after the broker's 1.5 x
 * keepalive: the compiled daemon bridges to a real mosquitto and follows beacons on loopback; a peer
 * that only beacons (no MQTT of its own, so no last will) is killed -9, and the bridge marks it offline.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { mosquittoUnavailable, startMosquitto, watch } from "./_mosquitto.ts";

const INTERVAL_MS = 500;
const FAILED_AFTER = 3;

describe("fleet availability through the bridge (compiled binary, loopback)", { skip: mosquittoUnavailable() }, () => {
  let disco = "";
  before(() => {
    disco = ensureBuilt();
  });

  it("a peer killed -9 is marked offline within the membership failure time, and listed in the inventory", async () => {
    await using broker = await startMosquitto();
    const dir = mkdtempSync(join(tmpdir(), "disco-mqtt-fleet-"));
    try {
      const port = await freeUdpPort();
      const file = join(dir, "a.toml");
      writeFileSync(
        file,
        `[host]\nname = "fleet-a"\n[discovery]\nenabled = false\n[daemon]\nstate_directory = "${dir}"\ncontrol_socket = "${join(dir, "a.sock")}"\n` +
          `[beacon]\nenabled = true\nport = ${port}\nbroadcast = ["127.255.255.255"]\ninterval = "${INTERVAL_MS}ms"\nfailed_after = ${FAILED_AFTER}\nformat = "json"\n` +
          `[mqtt]\nurl = "${broker.url}"\nkeepalive = "60s"\n`,
      );
      await using w = await watch(broker.url, ["disco/#"]);
      await using a = spawn([disco, "run", "-c", file]);
      await w.until(() => w.last.get("disco/fleet-a/availability")?.payload === "online", "fleet-a online");
      const b = spawn([disco, "broadcast", "--send", "--to", "127.255.255.255", "--name", "fleet-b", "--port", String(port), "--delay", String(INTERVAL_MS / 1000), "--format", "json"]);
      const inventory = () => (JSON.parse(w.last.get("disco/bridge/hosts")?.payload ?? "[]") as { host: string; state: string }[]).map((h) => `${h.host}:${h.state}`).sort();
      await w.until(() => inventory().includes("fleet-b:alive"), "fleet-b in the inventory");
      const killedAt = performance.now();
      b.proc.kill("SIGKILL");
      await b.proc.exited;
      await w.until(() => w.last.get("disco/fleet-b/availability")?.payload === "offline", "fleet-b marked offline", 10_000);
      const took = performance.now() - killedAt;
      assert.ok(took < INTERVAL_MS * FAILED_AFTER + 1500, `offline after ${Math.round(took)} ms (membership failure time ${INTERVAL_MS * FAILED_AFTER} ms; the keepalive is 60 s)`);
      {
        // Retained: Home Assistant starting later still sees it offline.
        await using late = await watch(broker.url, ["disco/fleet-b/availability"]);
        await late.until(() => late.last.get("disco/fleet-b/availability")?.payload === "offline" && late.last.get("disco/fleet-b/availability")?.retain === true, "retained offline");
      }
      await w.until(() => inventory().includes("fleet-b:failed"), "fleet-b failed in the inventory");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
