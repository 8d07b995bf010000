/** What an errno code means to a person, for the command-line messages of failed binds and connects. */
import { errnoMeaning } from "../errors.ts";

/**
 * The meaning of an errno code with an optional hint, as a parenthesis to append to a message.
 * @param code the errno code (EADDRINUSE, ...), when known
 * @param hints what to do, per code
 * @returns " (address in use: <hint>)", or "" for an unknown or absent code
 */
export function explainErrno(code: string | undefined, hints: Readonly<Record<string, string>> = {}): string {
  if (code === undefined) return "";
  const meaning = errnoMeaning(code);
  const hint = hints[code];
  if (meaning === undefined) return hint !== undefined ? ` (${hint})` : "";
  return ` (${meaning}${hint !== undefined ? `: ${hint}` : ""})`;
}
