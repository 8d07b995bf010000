/**
 * The fuzzer's input generator: a seeded PRNG and a byte mutator that works on valid seed inputs (so
 * mutations reach past the first checks) or makes random bytes of sizes up to the decoder's own limit (so
 * length paths are reached, unlike fast-check's short default arrays). Deterministic for a given seed.
 */

/** sfc32: small, fast, good enough for fuzzing; seeded from one 32-bit number. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }
}

/** A 32-bit seed from a text label and a number (to give each decoder its own stream of one run's seed). */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x0a, 0x22, 0x23, 0x2c, 0x3a, 0x3d, 0x5b, 0x5d, 0x7b, 0x7d];
const INTERESTING_WORDS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const r = rng.next();
    out[i] = r & 0xff;
    if (i + 1 < n) out[i + 1] = (r >>> 8) & 0xff;
    if (i + 2 < n) out[i + 2] = (r >>> 16) & 0xff;
    if (i + 3 < n) out[i + 3] = r >>> 24;
  }
  return out;
}

/** A length favouring small inputs but reaching `max`: a third each up to 64 bytes, 1 KiB, and `max`. */
function randomLength(rng: Rng, max: number): number {
  const tier = rng.below(3);
  return rng.below(Math.min(max, tier === 0 ? 64 : tier === 1 ? 1024 : max) + 1);
}

/** What a mutator needs to know of its decoder. */
export interface MutationSpace {
  /** Valid inputs to start from. */
  readonly seeds: readonly Uint8Array[];
  /** Largest input worth making (the decoder's own limit, or somewhat past it). */
  readonly maxBytes: number;
  /** Tokens of the format to splice in (keywords, separators). */
  readonly dictionary?: readonly Uint8Array[];
}

/**
 * One fuzz input: random bytes (one case in eight) or a seed with 1 to 8 mutations (sometimes up to 32).
 * @returns a fresh array the caller owns
 */
export function generate(rng: Rng, space: MutationSpace): Uint8Array {
  if (space.seeds.length === 0 || rng.below(8) === 0) return randomBytes(rng, randomLength(rng, space.maxBytes));
  let b = Array.from(rng.pick(space.seeds));
  const rounds = rng.chance(0.1) ? 1 + rng.below(32) : 1 + rng.below(8);
  for (let r = 0; r < rounds; r++) b = mutateOnce(rng, b, space);
  if (b.length > space.maxBytes) b.length = space.maxBytes;
  return Uint8Array.from(b);
}

function mutateOnce(rng: Rng, b: number[], space: MutationSpace): number[] {
  const at = () => rng.below(b.length + 1);
  switch (rng.below(11)) {
    case 0: // flip a bit
      if (b.length) b[rng.below(b.length)]! ^= 1 << rng.below(8);
      return b;
    case 1: // a random byte
      if (b.length) b[rng.below(b.length)] = rng.below(256);
      return b;
    case 2: // an interesting byte
      if (b.length) b[rng.below(b.length)] = rng.pick(INTERESTING_BYTES);
      return b;
    case 3: // insert random bytes
      b.splice(at(), 0, ...randomBytes(rng, 1 + rng.below(16)));
      return b;
    case 4: // delete a range
      if (b.length) b.splice(rng.below(b.length), 1 + rng.below(Math.min(64, b.length)));
      return b;
    case 5: {
      // repeat a range (grows inputs toward the size limits)
      if (!b.length) return b;
      const from = rng.below(b.length);
      const piece = b.slice(from, from + 1 + rng.below(64));
      const times = 1 + rng.below(rng.chance(0.2) ? 256 : 8);
      const pos = at();
      const grown: number[] = [];
      for (let i = 0; i < times && grown.length + b.length < space.maxBytes; i++) grown.push(...piece);
      b.splice(pos, 0, ...grown);
      return b;
    }
    case 6: // truncate
      b.length = rng.below(b.length + 1);
      return b;
    case 7: {
      // splice with another seed
      const other = rng.pick(space.seeds);
      return [...b.slice(0, at()), ...Array.from(other.subarray(rng.below(other.length + 1)))];
    }
    case 8: {
      // a big-endian 16/32-bit interesting value (lengths, counts, sizes)
      if (b.length < 2) return b;
      const v = rng.chance(0.3) ? b.length + rng.below(5) - 2 : rng.pick(INTERESTING_WORDS);
      const width = rng.chance(0.5) ? 2 : 4;
      const pos = rng.below(b.length - 1);
      for (let i = 0; i < width && pos + i < b.length; i++) b[pos + i] = (v >>> (8 * (width - 1 - i))) & 0xff;
      return b;
    }
    case 9: {
      // a little-endian 32-bit value (kernel structs)
      if (b.length < 4) return b;
      const v = rng.pick(INTERESTING_WORDS);
      const pos = rng.below(b.length - 3) & ~3;
      for (let i = 0; i < 4; i++) b[pos + i] = (v >>> (8 * i)) & 0xff;
      return b;
    }
    default: {
      // a dictionary token
      const d = space.dictionary;
      if (!d?.length) return b;
      b.splice(at(), rng.chance(0.5) ? 0 : rng.below(8), ...rng.pick(d));
      return b;
    }
  }
}
