/**
 * The page in headless Chromium over an in-process server: hostile names and services render as text
 * (nothing from the network becomes markup), and a remote line is switched from the page with the token.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startHttpServer } from "../../lib/http/index.ts";
import { testFleet } from "../http/_fleet.ts";
import { chromiumUnavailable, launchChromium } from "./_chromium.ts";

const HOSTILE = '<img src=x onerror="window.pwned=1">';

describe("the page in headless Chromium (in-process server)", { skip: chromiumUnavailable() }, () => {
  it("renders hostile names and services as text, and switches a remote line with the token", async () => {
    const { fleet, writes } = testFleet([
      { name: "pump", kind: "output", value: 0, remote: true },
      { name: "siren", kind: "output", value: 0, remote: false },
    ]);
    fleet.applyMembership("join", { host: HOSTILE, state: "suspect", lastSeenUnixMs: Date.now(), addresses: ["10.0.0.9"], services: { "<script>": "</td><b>bold</b>" } });
    await using server = await startHttpServer({ fleet, port: 0, token: "page-token" });
    await using browser = await launchChromium();
    const page = browser.pages()[0] ?? (await browser.newPage());
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));

    // Opening /?token= sets the cookie and lands on the page.
    const res = await page.goto(`${server.url}/?token=page-token`);
    assert.equal(res?.status(), 200);
    assert.equal(new URL(page.url()).search, "", "the token left the address bar");
    const evil = page.locator("section.host").filter({ hasText: "onerror" });
    await evil.waitFor();
    assert.equal(await evil.locator("h2 .name").textContent(), HOSTILE);
    assert.equal(await page.locator("img").count(), 0, "no element was made from a host name");
    assert.equal(await page.locator("b").count(), 0, "no element was made from a service value");
    assert.equal(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined);

    // Only the remote line has a button; clicking it writes through the API and the view follows.
    const self = page.locator('section.host[data-host="shed"]');
    assert.equal(await self.locator("button").count(), 1);
    await self.locator("button", { hasText: "turn on" }).click();
    await self.locator("button", { hasText: "turn off" }).waitFor();
    assert.deepEqual(writes, [["pump", 1]]);
    assert.deepEqual(problems, []);
  });

  it("without the token the page is refused (401), and no write control is offered on an open server", async () => {
    const { fleet } = testFleet([{ name: "pump", kind: "output", value: 0, remote: true }]);
    {
      await using server = await startHttpServer({ fleet, port: 0, token: "t" });
      await using browser = await launchChromium();
      const page = browser.pages()[0] ?? (await browser.newPage());
      assert.equal((await page.goto(`${server.url}/`))?.status(), 401);
    }
    await using open = await startHttpServer({ fleet, port: 0 });
    await using browser = await launchChromium();
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${open.url}/`);
    await page.locator('section.host[data-host="shed"]').waitFor();
    assert.equal(await page.locator("button").count(), 0, "no token configured: no writes, so no buttons");
  });
});
