/**
 * The root of every error disco raises on purpose.
 *
 * Each capability folder has an `errors.ts` whose classes extend this one, set `name`, chain `cause` and carry
 * the fields a caller branches on. Callers branch on the class (`instanceof`) or those fields, never on
 * `message`.
 */
export class DiscoError extends Error {
  override name = "DiscoError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const ERRNO_MEANINGS: Readonly<Record<string, string>> = {
  EADDRINUSE: "address in use",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EADDRNOTAVAIL: "address not available on this host",
  ECONNREFUSED: "connection refused",
  ENOENT: "no such file or directory",
  ENODEV: "no such device",
};

/**
 * What an errno code means to a person (for the messages of failed binds and connects that the command
 * line and the daemon's log write in their own words).
 * @param code the errno code (EADDRINUSE, ...)
 * @returns e.g. "address in use", or undefined for a code without a known meaning
 */
export function errnoMeaning(code: string): string | undefined {
  return ERRNO_MEANINGS[code];
}
