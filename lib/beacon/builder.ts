/**
 * Builds this host's beacon datagrams: disco.py text, or a rich beacon (unsealed or sealed) with a boot id
 * and a sequence number that grows by one per datagram.
 */
import { toHex } from "../bytes.ts";
import type { Keyring } from "../crypto/index.ts";
import { encodeDiscoPyBeacon } from "./disco-py.ts";
import { MAX_BEACON_BYTES } from "./decode.ts";
import { encodeUnsealedEnvelope } from "./envelope.ts";
import { BeaconError } from "./errors.ts";
import { encodeRichBeacon } from "./rich.ts";
import { sealBeacon } from "./seal.ts";

/** Wire formats a sender can use. */
export type BeaconFormat = "disco.py" | "json";

/** What this host says about itself in rich beacons. */
export interface SelfDescription {
  readonly host: string;
  readonly addresses?: readonly string[];
  readonly version?: string;
  readonly services?: Readonly<Record<string, unknown>>;
  readonly metricsEndpoint?: string;
  readonly gpio?: readonly string[];
  /** Base URL of this host's HTTP server, when `[http]` runs. */
  readonly httpEndpoint?: string;
}

/** Options for {@link createBeaconBuilder}. */
export interface BeaconBuilderOptions {
  /** @default "disco.py" */
  format?: BeaconFormat;
  self: SelfDescription;
  intervalMs: number;
  /** Channel id (rich beacons). */
  channelId?: Uint8Array;
  /** Seals rich beacons when given. */
  keyring?: Keyring;
  /** Boot id (16 hex digits). @default random */
  boot?: string;
  /** Wall clock in unix ms. @default Date.now */
  unixNowMs?: () => number;
}

/** Produces datagrams. */
export interface BeaconBuilder {
  readonly format: BeaconFormat;
  readonly boot: string;
  /** The next beacon (or goodbye) datagram. */
  build(bye?: boolean): Promise<Uint8Array>;
}

/** A random boot id: 8 random bytes as 16 hex digits. */
export function randomBootId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(8)));
}

/**
 * Creates a beacon builder and checks that a beacon fits in one datagram.
 * @throws {BeaconError} when a rich beacon would be larger than 8192 bytes, or a rich format lacks a channel id
 * @throws {RangeError} when the host name has whitespace
 */
export async function createBeaconBuilder(options: BeaconBuilderOptions): Promise<BeaconBuilder> {
  const format = options.format ?? "disco.py";
  const boot = options.boot ?? randomBootId();
  const now = options.unixNowMs ?? Date.now;
  const self = options.self;
  let seq = 0;
  const channelId = options.channelId;
  if (format === "json" && !channelId) throw new BeaconError("a rich (json) beacon needs the channel id");
  const encoding = { format, boot, intervalMs: options.intervalMs, channelId: channelId!, ...(options.keyring && { keyring: options.keyring }), unixNowMs: now };
  const build = async (bye = false): Promise<Uint8Array> => encodeBeacon(self, { ...encoding, seq: format === "json" ? seq++ : 0, bye });
  await checkSelfDescription(self, format, (s) => encodeBeacon(s, { ...encoding, seq: 0, bye: true }));
  return { format, boot, build };
}

/** What {@link encodeBeacon} needs besides the self-description. */
export interface EncodeBeaconOptions {
  format: BeaconFormat;
  boot: string;
  seq: number;
  intervalMs: number;
  channelId: Uint8Array;
  keyring?: Keyring;
  unixNowMs: () => number;
  bye: boolean;
}

/** One beacon datagram: disco.py text, or a rich beacon in its (sealed when a keyring is given) envelope. */
export function encodeBeacon(self: SelfDescription, o: EncodeBeaconOptions): Promise<Uint8Array> | Uint8Array {
  if (o.format === "disco.py") return encodeDiscoPyBeacon(self.host, o.unixNowMs() / 1000, { bye: o.bye });
  const payload = encodeRichBeacon({
    host: self.host,
    boot: o.boot,
    seq: o.seq,
    intervalMs: Math.round(o.intervalMs),
    addresses: self.addresses ?? [],
    ...(self.version !== undefined && { version: self.version }),
    ...(self.services !== undefined && Object.keys(self.services).length > 0 && { services: self.services }),
    ...(self.metricsEndpoint !== undefined && { metricsEndpoint: self.metricsEndpoint }),
    ...(self.gpio !== undefined && self.gpio.length > 0 && { gpio: self.gpio }),
    ...(self.httpEndpoint !== undefined && { httpEndpoint: self.httpEndpoint }),
    unixMs: Math.round(o.unixNowMs()),
    ...(o.bye && { bye: true }),
  });
  return o.keyring ? sealBeacon(o.keyring, o.channelId, payload) : encodeUnsealedEnvelope(o.channelId, payload);
}

/**
 * Checks that a self-description can be sent: a valid host name and, for rich beacons, a goodbye
 * (`probe`, the largest form) that fits in one datagram.
 * @throws {BeaconError} when a rich beacon would be larger than MAX_BEACON_BYTES
 * @throws {RangeError} when the host name has whitespace
 */
export async function checkSelfDescription(self: SelfDescription, format: BeaconFormat, probe: (self: SelfDescription) => Promise<Uint8Array> | Uint8Array): Promise<void> {
  encodeDiscoPyBeacon(self.host, 0); // validates the host name
  if (format !== "json") return;
  const bytes = await probe(self);
  if (bytes.length > MAX_BEACON_BYTES) {
    throw new BeaconError(`the rich beacon would be ${bytes.length} bytes, over the ${MAX_BEACON_BYTES}-byte limit: shorten [services] or the GPIO list`);
  }
}
