/**
 * The beacons' builder: `[beacon]` + the keys -> bound beacon sockets feeding the daemon's membership
 * table, sending with the daemon's identity. A self-description change (services, GPIO names, the metrics
 * endpoint) is applied in place: peers see one `update`. A replaced task says no goodbye, so peers see its
 * successor continue the same boot and sequence.
 */
import { BeaconCounters, prepareBeacons, resolveBeaconSettings } from "../beacon/index.ts";
import type { BeaconConfig, DiscoConfig } from "../config/index.ts";
import { describeListenAddress } from "../net/index.ts";
import { VERSION } from "../version.ts";
import { errorMessage } from "./errors.ts";
import { announcedOffers, offerConfig, type OfferConfig } from "../offers/index.ts";
import { sameSlice, sameSliceExcept } from "./plan.ts";
import type { Builder } from "./types.ts";

/** What beacons depend on: restart-worthy settings, and the self-description they carry. */
export interface BeaconsSlice {
  readonly beacon: BeaconConfig;
  readonly magic: string;
  readonly rawKeys: readonly Uint8Array<ArrayBuffer>[];
  /** Changes here are applied in place. */
  readonly self: { readonly host: string } & Pick<DiscoConfig, "services"> & OfferConfig;
}

function settingsFor(slice: BeaconsSlice) {
  return resolveBeaconSettings(
    { beacon: slice.beacon, services: slice.self.services, discovery: { magic: slice.magic } },
    {
      host: slice.self.host,
      version: VERSION,
      rawKeys: slice.rawKeys,
      offers: (address) => announcedOffers(slice.self, address),
    },
  );
}

/** `[beacon] enabled`: beacons, membership and hooks. */
export const beaconsBuilder: Builder<BeaconsSlice> = {
  name: "beacons",
  slice: ({ config, host, secrets }) =>
    config.beacon.enabled
      ? { beacon: config.beacon, magic: config.discovery.magic, rawKeys: secrets.rawKeys, self: { host, services: config.services, ...offerConfig(config) } }
      : undefined,
  async prepare(slice, ctx) {
    const log = ctx.log;
    const settings = await settingsFor(slice);
    const counters = new BeaconCounters();
    const beacons = await prepareBeacons(settings, {
      send: true,
      table: ctx.membership,
      identity: ctx.identity,
      counters,
      runHooks: true,
      spawnHook: ctx.spawnHook,
      hookBaseEnv: ctx.hookEnv,
      onHookOutcome: (spec, e, outcome) =>
        log.warn(`beacons: hook ${JSON.stringify(spec.command)} on ${e.type} ${e.host.host}: ${outcome instanceof Error ? outcome.message : outcome.timedOut ? `killed after ${spec.timeoutMs} ms` : `exited ${outcome.exitCode}`}`, { task: "beacons" }),
      onSendError: (t, err) => log.warn(`beacons: send to ${t}:${settings.port} failed: ${errorMessage(err)}`, { task: "beacons" }),
    });
    const listen = slice.beacon.listen;
    const hears = listen === "0.0.0.0" ? "" : `; listen = ${describeListenAddress(listen)}`;
    log.info(`beacons: sending to ${settings.targets.join(", ")} and listening on port ${beacons.port} (${settings.format}${settings.keyring && settings.format === "json" ? ", sealed" : ""})${hears}`, { task: "beacons", port: beacons.port });
    return {
      run: ({ signal }) => beacons.run({ signal, goodbye: () => signal.reason !== "replaced" }),
      close: () => beacons.close(),
      update: async (next) => {
        if (!sameSliceExcept(slice, next, "self")) return undefined;
        const nextSettings = await settingsFor(next);
        if (!sameSlice(nextSettings.targets, settings.targets)) return undefined;
        const commit = await beacons.stageSelf(nextSettings.self);
        return () => {
          commit();
          slice = next;
        };
      },
      counters: () => ({ ...counters.snapshot(ctx.membership.activeCount), ...(beacons.hooks && { hooks: { ...beacons.hooks.counters } }) }),
    };
  },
};
