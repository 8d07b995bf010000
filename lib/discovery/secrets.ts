/**
 * Turning configured secrets (texts the CLI read from flags, the config or files) into a keyring.
 */
import { createKeyring, decodeKey, deriveKeyFromPassword, type Keyring } from "../crypto/index.ts";

/** What {@link buildKeyring} needs. */
export interface SecretsOptions {
  /** The channel name (binds the password's salt). */
  magic: string;
  /** A password; its derived key seals (comes first). */
  password?: string;
  /** Raw keys as text (base64 or hex, from `disco keygen`), accepted after the password's key. */
  keyTexts?: readonly string[];
  /** PBKDF2 iterations. @default 600000 */
  iterations?: number;
}

/**
 * Builds the discovery keyring.
 * @returns the keyring, or undefined when no secret is set (frames go unsealed)
 * @throws {KeyError} when a key text is not a 32-byte key
 */
export async function buildKeyring(o: SecretsOptions): Promise<Keyring | undefined> {
  const raw: Uint8Array<ArrayBuffer>[] = [];
  if (o.password !== undefined) raw.push(await deriveKeyFromPassword(o.password, o.magic, o.iterations !== undefined ? { iterations: o.iterations } : {}));
  for (const t of o.keyTexts ?? []) raw.push(decodeKey(t));
  return raw.length ? createKeyring(raw, "discovery") : undefined;
}

/** The keys in a key file: one per line; blank lines and `#` comments are skipped. */
export function parseKeyFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** The password in a password file: its first line, without the line ending. */
export function parsePasswordFile(text: string): string {
  return text.split(/\r?\n/)[0] ?? "";
}
