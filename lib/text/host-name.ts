/**
 * The one rule for host names, wherever a name enters disco (beacons of every format, discovery answers,
 * metric frames, the config, `--name`). A name is printed in terminals, used as a map key, and handed to
 * hooks as `$DISCO_HOST`, so it is held to what DNS-style names need and nothing a terminal, a shell or a
 * path could read specially: ASCII letters, digits, `.`, `_` and `-`; at most 253 bytes; not starting with
 * `-` (an option to a command) or `.` (`.` and `..` are path components).
 */

/** Longest host name accepted, in bytes (the DNS limit; the rule is ASCII, so also characters). */
export const MAX_HOST_NAME_BYTES = 253;

/** The host name rule as a pattern (see the module comment). */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/;

/** The rule in words, for error messages. */
export const HOST_NAME_RULE = "1 to 253 ASCII letters, digits, '.', '_' or '-', not starting with '-' or '.'";

/**
 * Whether a string is an acceptable host name.
 * @param name the candidate (from the wire, a config file or a flag)
 * @returns true when it follows {@link HOST_NAME_RULE}
 * @example isValidHostName("pi-shed.local") // true; isValidHostName("\x1b]52;c;...") // false
 */
export function isValidHostName(name: string): boolean {
  return HOST_NAME_PATTERN.test(name);
}
