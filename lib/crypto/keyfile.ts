/**
 * The two secret files a config can name: a key file (one `disco keygen` key per line) and a password
 * file (its first line), and how their contents become the raw keys of a keyring.
 */
import { decodeKey, deriveKeyFromPassword } from "./keys.ts";

/** One key of a key file, with the line it is on. */
export interface KeyFileEntry {
  /** 1-based line in the file. */
  readonly line: number;
  /** The key text, trimmed. */
  readonly text: string;
}

/** The keys in a key file: one per line; blank lines and `#` comments are skipped. */
export function parseKeyFile(text: string): KeyFileEntry[] {
  return text
    .split(/\r?\n/)
    .map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((e) => e.text !== "" && !e.text.startsWith("#"));
}

/** The password in a password file: its first line, without the line ending. */
export function parsePasswordFile(text: string): string {
  return text.split(/\r?\n/)[0] ?? "";
}

/** What {@link collectRawKeys} turns into keys. */
export interface SecretMaterial {
  /** The channel name (binds the password's salt). */
  magic: string;
  /** A password; its derived key comes first, so it seals. */
  password?: string;
  /** Raw keys as text (base64 or hex, from `disco keygen`), after the password's key. */
  keyTexts?: readonly string[];
  /** PBKDF2 iterations. @default 600000 */
  iterations?: number;
}

/**
 * The raw keys of a fleet's secret: the password's derived key first, then the raw keys in order.
 * @returns 32-byte keys; empty when there is no secret (frames go unsealed)
 * @throws {KeyError} when a key text is not a 32-byte key
 */
export async function collectRawKeys(m: SecretMaterial): Promise<Uint8Array<ArrayBuffer>[]> {
  const raw: Uint8Array<ArrayBuffer>[] = [];
  if (m.password !== undefined) raw.push(await deriveKeyFromPassword(m.password, m.magic, m.iterations !== undefined ? { iterations: m.iterations } : {}));
  for (const t of m.keyTexts ?? []) raw.push(decodeKey(t));
  return raw;
}
