/**
 * The disco version. {@link VERSION} is what discovery answers and beacons carry; {@link versionLine} is what
 * `--version` prints: the version, the commit the binary was built from, the target, the Bun runtime and what
 * seals datagrams (OpenSSL's libcrypto, or node:crypto where that library is missing).
 *
 * The commit is baked in by `scripts/build.ts` (`bun build --define DISCO_COMMIT=...`); it is never read from
 * git at run time. Code run from source (`bun main.ts`) has no baked commit and says `source`.
 */
export const VERSION = "0.2.0";

declare const DISCO_COMMIT: string | undefined;

/** The commit the binary was built from (`3f2a1bc`, `3f2a1bc-dirty`), or `source` when not built. */
export const BUILD_COMMIT: string = typeof DISCO_COMMIT === "string" && DISCO_COMMIT !== "" ? DISCO_COMMIT : "source";

/**
 * The `--version` line.
 * @param aead what seals datagrams (lib/crypto's `aeadBackend()`; passed in so that this module, which every
 *   command loads, loads no crypto)
 * @returns e.g. `disco 0.2.0 (3f2a1bc, linux-arm64, bun 1.4.5, AES-GCM by OpenSSL (libcrypto.so.3))`
 */
export function versionLine(aead: string): string {
  return `disco ${VERSION} (${BUILD_COMMIT}, ${process.platform}-${process.arch}, bun ${process.versions.bun ?? "?"}, AES-GCM by ${aead})`;
}

/**
 * No real clock reads earlier than this: a date before this version was written (2026-11-01 UTC). A device whose
 * clock is behind it (no RTC, booted in 1970) cannot judge a query's freshness by time, so its discovery
 * responder answers every sealed query with a challenge instead.
 */
export const CLOCK_FLOOR_MS = Date.UTC(2026, 10, 1);
