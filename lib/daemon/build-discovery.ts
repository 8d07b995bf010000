/** The discovery responder's builder: `[discovery]` + the keys -> a bound responder answering queries. */
import type { DiscoConfig, DiscoveryConfig } from "../config/index.ts";
import { createKeyring } from "../crypto/index.ts";
import { importLegacyKey, serveDiscovery, type Responder } from "../discovery/index.ts";
import { startBound } from "./_bound.ts";
import { DaemonError } from "./errors.ts";
import { createDescriber, offerConfig, type OfferConfig } from "../offers/index.ts";
import { sameSliceExcept } from "./plan.ts";
import type { Builder } from "./types.ts";
import { describeListenAddress } from "../net/index.ts";

/** What the responder depends on: restart-worthy settings, and the self-description it answers with. */
export interface DiscoverySlice {
  readonly config: DiscoveryConfig;
  readonly rawKeys: readonly Uint8Array<ArrayBuffer>[];
  /** Only in legacy mode (PyDiscover uses the password itself). */
  readonly legacyPassword?: string;
  /** Changes here are applied in place (answers change within a second). */
  readonly self: { readonly host: string } & Pick<DiscoConfig, "services"> & OfferConfig;
}

const sameBind = (a: DiscoveryConfig, b: DiscoveryConfig) => a.port !== 0 && a.port === b.port;

/** `[discovery] enabled`: answers disco-client queries, as disco-server does. */
export const discoveryBuilder: Builder<DiscoverySlice> = {
  name: "discovery",
  slice: ({ config, host, secrets }) =>
    config.discovery.enabled
      ? {
          config: config.discovery,
          rawKeys: secrets.rawKeys,
          ...(config.discovery.legacy && secrets.password !== undefined && { legacyPassword: secrets.password }),
          self: { host, services: config.services, ...offerConfig(config) },
        }
      : undefined,
  // The responder's socket has no SO_REUSEADDR: a second one on the same port waits for the first to close.
  conflicts: (a, b) => sameBind(a.config, b.config),
  async prepare(slice, ctx) {
    const d = slice.config;
    const keyring = slice.rawKeys.length > 0 ? await createKeyring(slice.rawKeys, "discovery") : undefined;
    // A legacy server without a password would answer `magic#OK#...` in clear to anyone who asks.
    if (d.legacy && slice.legacyPassword === undefined) throw new DaemonError("[discovery] legacy needs a usable PyDiscover password (password or password_file)");
    const legacyKey = slice.legacyPassword !== undefined ? importLegacyKey(slice.legacyPassword) : undefined;
    let describe = createDescriber(slice.self, { host: slice.self.host, listen: d.listen });
    let responder: Responder | undefined;
    const task = await startBound((signal, ready) =>
      serveDiscovery({
        signal,
        config: d,
        ...(keyring && { keyring }),
        ...(legacyKey && { legacyKey }),
        describe: () => describe(),
        onResponder: (r) => void (responder = r),
        onListening: (address, port) => {
          // What one listen address hears is easy to get wrong: said once, as disco server and config check do.
          const hears = address === "0.0.0.0" ? "" : `; listen = ${describeListenAddress(address)}`;
          ctx.log.info(`discovery: answering on ${address}:${port} (${keyring ? "sealed" : "unsealed"})${hears}`, { task: "discovery", address, port });
          ready();
        },
      }),
    );
    return {
      ...task,
      update: async (next) => {
        if (!sameSliceExcept(slice, next, "self")) return undefined;
        const nextDescribe = createDescriber(next.self, { host: next.self.host, listen: next.config.listen });
        nextDescribe(); // a description that cannot be encoded fails here, not in the responder
        return () => {
          describe = nextDescribe;
          slice = next;
        };
      },
      counters: () => ({ ...(responder?.counters ?? {}) }),
    };
  },
};
