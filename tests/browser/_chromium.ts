/** Debian's chromium under playwright-core: headless, no sandbox (root in CI), a fresh profile, no network chatter. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Where Debian installs it. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why browser tests cannot run here, or false. */
export function chromiumUnavailable(): string | false {
  return existsSync(CHROMIUM) ? false : "chromium missing (apt-get install chromium)";
}

/** The flags every test browser gets. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/**
 * Launches chromium with a fresh user-data-dir (removed on dispose).
 * @param executablePath chromium, or a wrapper that runs it elsewhere (e.g. in a namespace)
 */
export async function launchChromium(executablePath = CHROMIUM): Promise<BrowserContext & AsyncDisposable> {
  const profile = mkdtempSync(join(tmpdir(), "disco-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, viewport: { width: 420, height: 900 }, args: CHROMIUM_ARGS });
  return Object.assign(context, {
    async [Symbol.asyncDispose]() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  });
}
