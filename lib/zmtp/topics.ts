/**
 * A counted set of subscription topics with prefix matching (ZeroMQ subscriptions are byte prefixes of a
 * message's first frame; the empty topic matches everything).
 */

/** A topic's bytes as a string key (one char per byte, so prefixes of the bytes are prefixes of the key). */
function key(topic: Uint8Array): string {
  return topic.length <= 4096 ? String.fromCharCode(...topic) : Array.from(topic, (b) => String.fromCharCode(b)).join("");
}

/** Subscriptions with reference counts (subscribing twice needs two cancels, as in libzmq). */
export class TopicSet {
  #topics = new Map<string, { topic: Uint8Array; count: number }>();

  /** Number of distinct topics. */
  get size(): number {
    return this.#topics.size;
  }

  /** Whether `topic` is in the set. */
  has(topic: Uint8Array): boolean {
    return this.#topics.has(key(topic));
  }

  /**
   * Adds one reference to `topic`.
   * @returns true when the topic is new
   */
  add(topic: Uint8Array): boolean {
    const k = key(topic);
    const e = this.#topics.get(k);
    if (e) {
      e.count++;
      return false;
    }
    this.#topics.set(k, { topic: topic.slice(), count: 1 });
    return true;
  }

  /**
   * Removes one reference to `topic`.
   * @returns true when the topic's last reference went
   */
  remove(topic: Uint8Array): boolean {
    const k = key(topic);
    const e = this.#topics.get(k);
    if (!e) return false;
    if (--e.count > 0) return false;
    this.#topics.delete(k);
    return true;
  }

  /** Whether some topic is a prefix of `data`. */
  matches(data: Uint8Array): boolean {
    for (const { topic } of this.#topics.values()) {
      if (topic.length > data.length) continue;
      let i = 0;
      while (i < topic.length && topic[i] === data[i]) i++;
      if (i === topic.length) return true;
    }
    return false;
  }

  /** The distinct topics. */
  topics(): Uint8Array[] {
    return [...this.#topics.values()].map((e) => e.topic);
  }

  /** Every topic with its count, then empties the set. */
  drain(): { topic: Uint8Array; count: number }[] {
    const all = [...this.#topics.values()];
    this.#topics.clear();
    return all;
  }
}

/**
 * Which peers hold which topic, so one message is matched against every peer in a few map lookups (one
 * per distinct topic length, at most the topic length limit + 1) instead of against each peer's topics
 * in turn: junk topics held by strangers cost the publisher almost nothing per message.
 */
export class TopicIndex<P> {
  readonly #byKey = new Map<string, Set<P>>();
  /** Topic length -> distinct topics of that length. */
  readonly #lengths = new Map<number, number>();
  /** The lengths, ascending. */
  #sorted: number[] = [];

  /** Records that `peer` holds `topic` (idempotent). */
  add(topic: Uint8Array, peer: P): void {
    const k = key(topic);
    let peers = this.#byKey.get(k);
    if (!peers) {
      peers = new Set();
      this.#byKey.set(k, peers);
      const n = this.#lengths.get(k.length) ?? 0;
      this.#lengths.set(k.length, n + 1);
      if (n === 0) this.#sorted = [...this.#lengths.keys()].sort((a, b) => a - b);
    }
    peers.add(peer);
  }

  /** Records that `peer` no longer holds `topic`. */
  remove(topic: Uint8Array, peer: P): void {
    const k = key(topic);
    const peers = this.#byKey.get(k);
    if (!peers?.delete(peer) || peers.size > 0) return;
    this.#byKey.delete(k);
    const n = this.#lengths.get(k.length)! - 1;
    if (n > 0) this.#lengths.set(k.length, n);
    else {
      this.#lengths.delete(k.length);
      this.#sorted = [...this.#lengths.keys()].sort((a, b) => a - b);
    }
  }

  /** Calls `fn` once for each peer holding a topic that is a prefix of `data`. */
  forEachMatch(data: Uint8Array, fn: (peer: P) => void): void {
    const lengths = this.#sorted;
    if (lengths.length === 0) return;
    const longest = Math.min(data.length, lengths[lengths.length - 1]!);
    const text = key(data.subarray(0, longest));
    let only: Set<P> | undefined;
    let more: Set<P>[] | undefined;
    for (const l of lengths) {
      if (l > longest) break;
      const peers = this.#byKey.get(l === longest ? text : text.slice(0, l));
      if (!peers) continue;
      if (!only) only = peers;
      else (more ??= [only]).push(peers);
    }
    if (!more) {
      if (only) for (const p of only) fn(p);
      return;
    }
    // A peer holding several matching topics gets the message once.
    const seen = new Set<P>();
    for (const peers of more) for (const p of peers) if (!seen.has(p)) (seen.add(p), fn(p));
  }
}
