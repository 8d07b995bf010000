import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collectNodeFamilies,
  parseLoadFamilies,
  parseMeminfoFamilies,
  parseMounts,
  parseNetDevFamilies,
  parseStatFamilies,
  renderExposition,
} from "../../lib/http/index.ts";

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000000    4000    1    2    0     0          0         7  300000     2000    0    3    0     0       0          0
`;

describe("node_exporter families", () => {
  it("parseLoadFamilies() names node_load1/5/15", () => {
    const text = renderExposition(parseLoadFamilies("0.50 0.25 0.10 1/123 4567\n"));
    assert.match(text, /^node_load1 0.5$/m);
    assert.match(text, /^node_load5 0.25$/m);
    assert.match(text, /^node_load15 0.1$/m);
    assert.deepEqual(parseLoadFamilies("garbage"), []);
  });

  it("parseMeminfoFamilies() gives bytes under node_exporter's field names", () => {
    const text = renderExposition(parseMeminfoFamilies("MemTotal:        8000 kB\nMemAvailable:    4000 kB\nActive(anon):     100 kB\nHugePages_Total:       0\n"));
    assert.match(text, /^node_memory_MemTotal_bytes 8192000$/m);
    assert.match(text, /^node_memory_MemAvailable_bytes 4096000$/m);
    assert.match(text, /^node_memory_Active_anon_bytes 102400$/m);
    assert.match(text, /^node_memory_HugePages_Total 0$/m);
  });

  it("parseStatFamilies() gives boot time and CPU seconds per mode", () => {
    const text = renderExposition(parseStatFamilies("cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 250 1 50 1000 2 0 3 0 0 0\nctxt 99\nbtime 1700000000\nprocesses 42\n"));
    assert.match(text, /^node_boot_time_seconds 1700000000$/m);
    assert.match(text, /^node_cpu_seconds_total\{cpu="0",mode="user"\} 2.5$/m);
    assert.match(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} 10$/m);
    assert.match(text, /^node_context_switches_total 99$/m);
    assert.match(text, /^node_forks_total 42$/m);
  });

  it("parseNetDevFamilies() counts per device", () => {
    const text = renderExposition(parseNetDevFamilies(NET_DEV));
    assert.match(text, /^node_network_receive_bytes_total\{device="eth0"\} 5000000$/m);
    assert.match(text, /^node_network_transmit_bytes_total\{device="eth0"\} 300000$/m);
    assert.match(text, /^node_network_receive_drop_total\{device="eth0"\} 2$/m);
    assert.match(text, /^node_network_transmit_drop_total\{device="eth0"\} 3$/m);
    assert.match(text, /^node_network_receive_bytes_total\{device="lo"\} 1000$/m);
    assert.match(text, /^# TYPE node_network_receive_bytes_total counter$/m);
  });

  it("parseMounts() leaves out pseudo filesystems and unescapes paths", () => {
    const mounts = parseMounts("/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/sdb1 /mnt/my\\040disk vfat rw 0 0\n/dev/sda1 / ext4 rw 0 0\n");
    assert.deepEqual(mounts, [
      { device: "/dev/sda1", mountpoint: "/", fstype: "ext4" },
      { device: "/dev/sdb1", mountpoint: "/mnt/my disk", fstype: "vfat" },
    ]);
  });

  it("collectNodeFamilies() reads a fake tree, thermal zones included, and skips what is missing", async () => {
    const root = mkdtempSync(join(tmpdir(), "disco-node-"));
    try {
      mkdirSync(join(root, "proc/net"), { recursive: true });
      mkdirSync(join(root, "sys/class/thermal/thermal_zone0"), { recursive: true });
      writeFileSync(join(root, "proc/loadavg"), "1.00 2.00 3.00 1/1 1\n");
      writeFileSync(join(root, "proc/net/dev"), NET_DEV);
      writeFileSync(join(root, "proc/mounts"), "/dev/root / ext4 rw 0 0\n");
      writeFileSync(join(root, "sys/class/thermal/thermal_zone0/temp"), "48312\n");
      writeFileSync(join(root, "sys/class/thermal/thermal_zone0/type"), "cpu-thermal\n");
      const text = renderExposition(await collectNodeFamilies({ root, unixNowMs: () => 1_700_000_000_500 }));
      assert.match(text, /^node_load15 3$/m);
      assert.match(text, /^node_thermal_zone_temp\{type="cpu-thermal",zone="0"\} 48.312$/m);
      assert.match(text, /^node_time_seconds 1700000000.5$/m);
      assert.match(text, /^node_filesystem_avail_bytes\{device="\/dev\/root",fstype="ext4",mountpoint="\/"\} \d+$/m);
      assert.doesNotMatch(text, /node_memory_/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
