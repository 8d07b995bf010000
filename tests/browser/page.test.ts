/**
 * The live page in a real browser: headless Chromium (Debian's package, driven by playwright-core, no
 * browser download) running inside the namespace of a daemon whose page it opens on that namespace's
 * loopback. The page lists the LAN's hosts, shows a new host, turns a killed one failed within the
 * membership time, and logs no console error. A screenshot is kept under .cache/eco/ (path printed).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createLan, netnsUnavailable, type LanHost } from "../net/_netns.ts";
import { fleetDaemonConfig } from "../http/_daemon.ts";
import { CHROMIUM, chromiumUnavailable, launchChromium } from "./_chromium.ts";

const skip = netnsUnavailable() || chromiumUnavailable();
const INTERVAL_MS = 500;
const FAILED_AFTER = 3;

describe("the live page in headless Chromium (namespace LAN, compiled binary)", { skip }, () => {
  let disco = "";
  before(() => {
    disco = ensureBuilt();
  });

  it("lists the hosts, shows a new one, turns a killed one failed, without console errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-browser-"));
    try {
      await using lan = await createLan(3);
      const [viewer, peer, late] = lan.hosts as [LanHost, LanHost, LanHost];
      const start = (h: LanHost, name: string, http: boolean) => {
        writeFileSync(join(dir, `${name}.toml`), fleetDaemonConfig(name, dir, { intervalMs: INTERVAL_MS, failedAfter: FAILED_AFTER }, `\n[services]\nweb = "http://${name}.lan/"\n${http ? '\n[http]\nlisten = "127.0.0.1:9180"\n' : ""}`));
        return h.spawn([disco, "run", "-c", join(dir, `${name}.toml`)]);
      };
      const viewerLog = new LineReader(start(viewer, "viewer", true).stderr);
      const peerProc = start(peer, "peer", false);

      // Chromium runs in the viewer's namespace, so the page is on that namespace's loopback.
      const wrapper = join(dir, "chromium-in-ns");
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${viewer.ns} ${CHROMIUM} "$@"\n`);
      chmodSync(wrapper, 0o755);
      await using context = await launchChromium(wrapper);
      {
        const page = context.pages()[0] ?? (await context.newPage());
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") problems.push(`console: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        // The page is loaded once the daemon says it serves it.
        await viewerLog.waitFor(/http: serving http:\/\/127\.0\.0\.1:9180/, { timeoutMs: 20_000 });
        assert.equal((await page.goto("http://127.0.0.1:9180/"))?.status(), 200);
        const card = (name: string) => page.locator(`section.host[data-host="${name}"]`);
        await card("viewer").waitFor({ timeout: 10_000 });
        await card("peer").waitFor({ timeout: 10_000 });
        assert.equal(await card("viewer").getAttribute("data-state"), "alive");
        assert.match((await card("peer").textContent()) ?? "", /http:\/\/peer\.lan\//);

        // A new host appears without a reload.
        start(late, "late", false);
        await card("late").waitFor({ timeout: 10_000 });

        // kill -9: no goodbye; the page shows it failed within the membership time.
        const killedAt = Date.now();
        peerProc.kill("SIGKILL");
        await page.waitForSelector('section.host[data-host="peer"][data-state="failed"]', { timeout: INTERVAL_MS * FAILED_AFTER + 3000 });
        const took = Date.now() - killedAt;
        assert.ok(took <= INTERVAL_MS * FAILED_AFTER + 2000, `failed shown after ${took} ms`);
        assert.match((await page.locator("#summary").textContent()) ?? "", /3 hosts: 2 alive, 0 suspect, 1 failed/);
        assert.equal(await page.locator("#conn").textContent(), "live");

        mkdirSync(join(ROOT, ".cache", "eco"), { recursive: true });
        const shot = join(ROOT, ".cache", "eco", "page.png");
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`screenshot: ${shot}`);
        assert.deepEqual(problems, []);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
