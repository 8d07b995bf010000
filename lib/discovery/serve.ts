/**
 * The whole responder as one long-running task, for `disco-server` and the daemon: binds the socket
 * (joining the multicast group when configured), answers until the signal aborts, returns the counters.
 */
import { deriveChannelId, type Keyring } from "../crypto/index.ts";
import type { DiscoveryConfig } from "../config/index.ts";
import { BURST_RECV_BUFFER_BYTES, openUdp, type SiblingBinding } from "../net/index.ts";
import type { LegacyKey } from "./legacy.ts";
import type { SelfDescription } from "./payload.ts";
import { Responder, runResponder, type Decision, type ResponderCounters } from "./responder.ts";

/** Options for {@link serveDiscovery}. */
export interface ServeDiscoveryOptions {
  /** Stops the task. */
  signal: AbortSignal;
  /** `[discovery]`, with command-line overrides applied (port 0 lets the OS choose). */
  config: DiscoveryConfig;
  /** The discovery keyring (createKeyring of collectRawKeys); undefined serves an unsealed channel. */
  keyring?: Keyring;
  /** From importLegacyKey(password) when `config.legacy` and a password are set. */
  legacyKey?: LegacyKey;
  /** The self-description (called at most once a second). */
  describe: () => SelfDescription;
  /**
   * Called once the socket is bound (with the port the OS chose for port 0), and with what else was bound on
   * that port so a unicast `listen` address still hears its interface's broadcasts (and the group).
   */
  onListening?: (address: string, port: number, siblings: readonly SiblingBinding[]) => void;
  /** Called per datagram (`-v`). */
  onDecision?: (d: Decision) => void;
  /** Receives the responder, e.g. to read its counters while it runs. */
  onResponder?: (r: Responder) => void;
}

/**
 * Runs a discovery responder until `signal` aborts.
 * @returns the final counters
 * @throws {NetError} when the socket cannot be bound or the group joined
 * @throws {RangeError} in legacy mode without a legacy key
 */
export async function serveDiscovery(o: ServeDiscoveryOptions): Promise<ResponderCounters> {
  const c = o.config;
  if (c.legacy && !o.legacyKey) throw new RangeError("[discovery] legacy needs a PyDiscover password (legacyKey): without one it would answer in clear to anyone");
  const responder = new Responder({
    channelId: await deriveChannelId(c.magic),
    ...(o.keyring && { keyring: o.keyring }),
    describe: o.describe,
    hidden: c.hidden,
    rateLimitPerSec: c.rateLimitPerSec,
    rateBurst: c.rateBurst,
    decryptsPerSec: c.decryptBudget,
    decryptsPerSourcePerSec: c.decryptBudgetPerAddress,
    maxSkewMs: c.maxSkewMs,
    ...(c.legacy && o.legacyKey && { legacy: { magic: c.magic, key: o.legacyKey } }),
    // Legacy without a key: the password is PyDiscover's only, so disco frames are not answered at all.
    frames: !(c.legacy && !o.keyring),
  });
  o.onResponder?.(responder);
  const socket = await openUdp({
    address: c.listen,
    port: c.port,
    // A unicast listen address still answers the broadcast (and multicast) queries of its interface.
    hearInterface: true,
    // Room for a burst while the loop is busy or descheduled (about 5,000 datagrams in the kernel, 8,192 in
    // the queue, a few MB at most): a flood then costs that queue, not the legitimate queries that come with it.
    recvBufferBytes: BURST_RECV_BUFFER_BYTES,
    maxQueued: 8192,
    onOverflow: () => responder.countOverflow(),
    ...(c.multicastGroup !== undefined && { multicast: { group: c.multicastGroup, ...(c.multicastInterface !== undefined && { interface: c.multicastInterface }) } }),
    ...(c.multicastInterface !== undefined && { multicastInterface: c.multicastInterface }),
  });
  o.onListening?.(socket.address, socket.port, socket.siblings);
  await runResponder(socket, responder, { signal: o.signal, ...(o.onDecision && { onDecision: o.onDecision }) });
  return responder.counters;
}
