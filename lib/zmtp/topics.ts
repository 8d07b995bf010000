/**
 * A counted set of subscription topics with prefix matching (ZeroMQ subscriptions are byte prefixes of a
 * message's first frame; the empty topic matches everything).
 */

function key(topic: Uint8Array): string {
  let s = "";
  for (let i = 0; i < topic.length; i++) s += String.fromCharCode(topic[i]!);
  return s;
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
