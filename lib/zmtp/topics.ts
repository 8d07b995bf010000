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

/** A node of {@link TopicIndex}: the bytes from its parent, its children by first byte, the peers ending here. */
interface TrieNode<P> {
  edge: Uint8Array;
  readonly children: Map<number, TrieNode<P>>;
  peers: Set<P> | undefined;
}

function node<P>(edge: Uint8Array): TrieNode<P> {
  return { edge, children: new Map(), peers: undefined };
}

/**
 * Which peers hold which topic, in a radix tree over the topics' bytes: one message is matched against
 * every peer's topics by walking its first bytes down the tree (at most the longest topic's length, one
 * byte compare and one small map lookup per branch), whatever the number of topics or peers. Junk topics
 * held by strangers cost the publisher nothing per message beyond the branches the message itself walks;
 * memory is the topics' bytes plus at most two nodes per distinct topic.
 */
export class TopicIndex<P> {
  readonly #root: TrieNode<P> = node(new Uint8Array(0));

  /** Records that `peer` holds `topic` (idempotent). */
  add(topic: Uint8Array, peer: P): void {
    let n = this.#root;
    let pos = 0;
    for (;;) {
      if (pos === topic.length) {
        (n.peers ??= new Set()).add(peer);
        return;
      }
      const child = n.children.get(topic[pos]!);
      if (!child) {
        const leaf = node<P>(topic.slice(pos));
        leaf.peers = new Set([peer]);
        n.children.set(topic[pos]!, leaf);
        return;
      }
      const edge = child.edge;
      let common = 1;
      while (common < edge.length && pos + common < topic.length && edge[common] === topic[pos + common]) common++;
      if (common < edge.length) {
        // Split the edge where the topic leaves it.
        const mid = node<P>(edge.subarray(0, common));
        child.edge = edge.subarray(common);
        mid.children.set(child.edge[0]!, child);
        n.children.set(mid.edge[0]!, mid);
        n = mid;
      } else n = child;
      pos += common;
    }
  }

  /** Records that `peer` no longer holds `topic`. */
  remove(topic: Uint8Array, peer: P): void {
    const path: TrieNode<P>[] = [this.#root];
    let n = this.#root;
    let pos = 0;
    while (pos < topic.length) {
      const child = n.children.get(topic[pos]!);
      if (!child || !startsWith(topic, pos, child.edge)) return;
      pos += child.edge.length;
      n = child;
      path.push(n);
    }
    if (!n.peers?.delete(peer)) return;
    if (n.peers.size === 0) n.peers = undefined;
    // Prune: drop empty leaves, and merge a peerless node with its only child, up the path.
    for (let i = path.length - 1; i > 0; i--) {
      const cur = path[i]!;
      const parent = path[i - 1]!;
      if (cur.peers) break;
      if (cur.children.size === 0) parent.children.delete(cur.edge[0]!);
      else if (cur.children.size === 1) {
        const only = cur.children.values().next().value!;
        const edge = new Uint8Array(cur.edge.length + only.edge.length);
        edge.set(cur.edge, 0);
        edge.set(only.edge, cur.edge.length);
        only.edge = edge;
        parent.children.set(edge[0]!, only);
      } else break;
    }
  }

  /** Calls `fn` once for each peer holding a topic that is a prefix of `data`. */
  forEachMatch(data: Uint8Array, fn: (peer: P) => void): void {
    let n = this.#root;
    let pos = 0;
    let only: Set<P> | undefined;
    let more: Set<P>[] | undefined;
    for (;;) {
      if (n.peers) {
        if (!only) only = n.peers;
        else (more ??= [only]).push(n.peers);
      }
      if (pos === data.length) break;
      const child = n.children.get(data[pos]!);
      if (!child || !startsWith(data, pos, child.edge)) break;
      pos += child.edge.length;
      n = child;
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

/** Whether `bytes` holds `prefix` at `offset`. */
function startsWith(bytes: Uint8Array, offset: number, prefix: Uint8Array): boolean {
  if (offset + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}
