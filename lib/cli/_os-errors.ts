/** What an errno code means to a person, for the command-line messages of failed binds and connects. */
const MEANINGS: Readonly<Record<string, string>> = {
  EADDRINUSE: "address in use",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EADDRNOTAVAIL: "address not available on this host",
  ECONNREFUSED: "connection refused",
  ENOENT: "no such file or directory",
  ENODEV: "no such device",
};

/**
 * The meaning of an errno code with an optional hint, as a parenthesis to append to a message.
 * @param code the errno code (EADDRINUSE, ...), when known
 * @param hints what to do, per code
 * @returns " (address in use: <hint>)", or "" for an unknown or absent code
 */
export function explainErrno(code: string | undefined, hints: Readonly<Record<string, string>> = {}): string {
  if (code === undefined) return "";
  const meaning = MEANINGS[code];
  const hint = hints[code];
  if (meaning === undefined) return hint !== undefined ? ` (${hint})` : "";
  return ` (${meaning}${hint !== undefined ? `: ${hint}` : ""})`;
}
