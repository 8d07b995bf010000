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
  const build = async (bye = false): Promise<Uint8Array> => {
    if (format === "disco.py") return encodeDiscoPyBeacon(self.host, now() / 1000, { bye });
    const payload = encodeRichBeacon({
      host: self.host,
      boot,
      seq: seq++,
      intervalMs: Math.round(options.intervalMs),
      addresses: self.addresses ?? [],
      ...(self.version !== undefined && { version: self.version }),
      ...(self.services !== undefined && Object.keys(self.services).length > 0 && { services: self.services }),
      ...(self.metricsEndpoint !== undefined && { metricsEndpoint: self.metricsEndpoint }),
      ...(self.gpio !== undefined && self.gpio.length > 0 && { gpio: self.gpio }),
      ...(self.httpEndpoint !== undefined && { httpEndpoint: self.httpEndpoint }),
      unixMs: Math.round(now()),
      ...(bye && { bye: true }),
    });
    return options.keyring ? sealBeacon(options.keyring, channelId!, payload) : encodeUnsealedEnvelope(channelId!, payload);
  };
  encodeDiscoPyBeacon(self.host, 0); // validates the host name
  if (format === "json") {
    const probe = await build(true);
    seq = 0;
    if (probe.length > MAX_BEACON_BYTES) {
      throw new BeaconError(`the rich beacon would be ${probe.length} bytes, over the ${MAX_BEACON_BYTES}-byte limit: shorten [services] or the GPIO list`);
    }
  }
  return { format, boot, build };
}
