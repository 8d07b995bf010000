import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { collect, collectHostMetrics, parseLoadavg, parseMeminfo, parseNetDev, parseUptime, pickTemperature } from "../../lib/metrics/index.ts";

const LOADAVG = "0.52 0.58 0.59 2/389 12345\n";
const MEMINFO = "MemTotal:        1000000 kB\nMemFree:          100000 kB\nMemAvailable:     250000 kB\nBuffers:           1 kB\n";
const UPTIME = "3600.75 7000.10\n";
const NETDEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999     100    0    0    0     0          0         0   999999     100    0    0    0     0       0          0
  eth0: 1000       10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
 wlan0:  500        5    0    0    0     0          0         0      700       7    0    0    0     0       0          0
`;

function fakeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "disco-proc-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("collector parsers", () => {
  it("parseLoadavg() reads the three averages", () => assert.deepEqual(parseLoadavg(LOADAVG), { load1: "0.52", load5: "0.58", load15: "0.59" }));
  it("parseMeminfo() reads total, available and the used share", () =>
    assert.deepEqual(parseMeminfo(MEMINFO), { mem_total_kb: "1000000", mem_available_kb: "250000", mem_used_percent: "75" }));
  it("parseUptime() reads whole seconds", () => assert.deepEqual(parseUptime(UPTIME), { uptime_s: "3600" }));
  it("parseNetDev() sums every interface but lo", () => assert.deepEqual(parseNetDev(NETDEV), { net_rx_bytes: "1500", net_tx_bytes: "2700" }));
  it("pickTemperature() prefers the CPU zone", () => {
    assert.deepEqual(pickTemperature([{ type: "acpitz", milliC: 30000 }, { type: "x86_pkg_temp", milliC: 48312 }]), { cpu_temperature: "48.3" });
    assert.deepEqual(pickTemperature([{ type: "board", milliC: 40000 }]), { cpu_temperature: "40" });
    assert.deepEqual(pickTemperature([]), {});
  });
  it("parsers give {} for text they do not recognise", () => {
    for (const f of [parseLoadavg, parseMeminfo, parseUptime, parseNetDev]) assert.deepEqual(f("garbage"), {});
  });
});

describe("collectHostMetrics()", () => {
  it("reads every collector from a fake tree", async () => {
    const root = fakeTree({
      "proc/loadavg": LOADAVG,
      "proc/meminfo": MEMINFO,
      "proc/uptime": UPTIME,
      "proc/net/dev": NETDEV,
      "sys/class/thermal/thermal_zone0/type": "cpu-thermal\n",
      "sys/class/thermal/thermal_zone0/temp": "73123\n",
    });
    try {
      const v = await collectHostMetrics(undefined, { root });
      assert.equal(v.load1, "0.52");
      assert.equal(v.mem_used_percent, "75");
      assert.equal(v.uptime_s, "3600");
      assert.equal(v.net_tx_bytes, "2700");
      assert.equal(v.cpu_temperature, "73.1");
      assert.match(v.disk_used_percent ?? "", /^\d+(\.\d)?$/);
      for (const value of Object.values(v)) assert.equal(typeof value, "string");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("skips missing sources instead of failing", async () => {
    const root = fakeTree({ "proc/uptime": UPTIME });
    try {
      assert.deepEqual(await collectHostMetrics(["load", "memory", "temperature", "uptime", "network"], { root }), { uptime_s: "3600" });
      assert.deepEqual(await collect("disk", { root, diskPath: "/no/such/dir" }), {});
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
