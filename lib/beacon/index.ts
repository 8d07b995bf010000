/**
 * Beacons and live membership: disco.py-compatible `HOST <name> <seconds>` beacons, rich JSON beacons
 * (sealed with the discovery key when one is set), py-vault-multicast announcements, the membership table
 * with join / update / suspect / leave / failed events, hooks, and counters.
 */
export type { HostRecord, MembershipEvent } from "./types.ts";
export { BeaconError, BeaconFrameError, DROP_REASONS, type DropReason } from "./errors.ts";
export { BYE_WORD, HOST_WORD, decodeDiscoPyBeacon, encodeDiscoPyBeacon, type DiscoPyBeacon } from "./disco-py.ts";
export {
  ENVELOPE_MARKER,
  ENVELOPE_VERSION,
  FLAG_SEALED,
  SEALED_HEADER_BYTES,
  UNSEALED_HEADER_BYTES,
  decodeEnvelope,
  encodeSealedHeader,
  isSealedFor,
  encodeUnsealedEnvelope,
  type Envelope,
} from "./envelope.ts";
export { RICH_VERSION, RichBeaconDecoder, decodeRichBeacon, encodeRichBeacon, type RichBeacon } from "./rich.ts";
export { VAULT_FIELD_MAX_CHARS, VAULT_GROUP, VAULT_PORT, decodeVaultAnnouncement, encodeVaultAnnouncement, type VaultAnnouncement, type VaultService } from "./vault.ts";
export { MAX_BEACON_BYTES, decodeDatagram, type DecodeOptions, type DecodedDatagram } from "./decode.ts";
export { openBeaconSync, sealBeacon, type SealOptions } from "./seal.ts";
export { SequenceGuard, type SequenceGuardOptions, type SequencedBeacon, type SequenceVerdict } from "./sequence.ts";
export { MembershipTable, systemClock, type Clock, type MembershipOptions, type MembershipSettings, type Observation, type ObserveResult, type Refusal, type SubscribeOptions } from "./membership.ts";
export { PACE_MIN_GAP_MS, PACE_MIN_SAMPLES, PACE_WINDOW, PaceEstimator } from "./pace.ts";
export { BeaconCounters, type CountersSnapshot } from "./counters.ts";
export { HookRunner, hookEnv, type HookCounters, type HookOutcome, type HookRunnerOptions, type HookSpawner, type HookSpec, type MembershipEventType } from "./hooks.ts";
export { spawnHook } from "./hook-spawn.ts";
export { createBeaconBuilder, randomBootId, type BeaconBuilder, type BeaconBuilderOptions, type BeaconFormat, type SelfDescription } from "./builder.ts";
export { formatTarget, runBeaconSender, splitTarget, type BeaconSenderOptions } from "./sender.ts";
export { BeaconIngest, MAX_VAULT_SERVICES, runBeaconReceiver, runMembershipTicker, type BeaconIngestOptions, type BeaconReceiverOptions, type ReceivedBeacon, type TickerOptions } from "./receiver.ts";
export { resolveTargets, type BeaconTargets } from "./targets.ts";
export { runBeaconService, type BeaconServiceOptions } from "./service.ts";
export {
  createBeaconIdentity,
  createLiveBeaconBuilder,
  prepareBeacons,
  membershipOptionsOf,
  resolveBeaconSettings,
  type BeaconConfigSlice,
  type BeaconIdentity,
  type BeaconSettings,
  type BeaconSettingsOptions,
  type LiveBeaconBuilder,
  type LiveBeaconBuilderOptions,
  type PrepareBeaconsOptions,
  type PreparedBeacons,
} from "./build.ts";
