/**
 * Making untrusted text safe to print for people. Anything a stranger on the LAN can send (host names
 * before they are checked, services, versions, metric values, error details) may carry terminal control
 * sequences (an OSC 52 clipboard write, a title change, cursor moves that redraw the screen) or bidi
 * controls that reorder what is shown. They are written out as visible escapes instead.
 */

// C0 controls (tab and newline too: a field never spans lines), DEL, C1 controls, the Arabic letter mark,
// LRM/RLM, the line and paragraph separators, the bidi embeddings and overrides (U+202A-E) and isolates
// (U+2066-9).
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Escapes control and bidi characters for a terminal: each becomes `\xHH` or `\uHHHH`. Text without them
 * comes back unchanged (the same string).
 * @param s text from the wire or from a peer
 * @returns printable text with the same visible characters and no control or bidi character
 * @example escapeForTerminal("pi\x1b]52;c;aGk=\x07") // "pi\\x1b]52;c;aGk=\\x07"
 */
export function escapeForTerminal(s: string): string {
  return UNSAFE_TEST.test(s) ? s.replace(UNSAFE, visible) : s;
}

// The same set less newline and tab, for text of several lines: a newline starts the next line and a tab
// only moves the cursor right to a tab stop, so neither can rewrite or hide what is already on screen.
// Carriage return stays escaped: it returns to the start of the line and overprints it.
const UNSAFE_MULTILINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_MULTILINE_TEST = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * {@link escapeForTerminal} for text of several lines (a command's output, a status report): newlines and
 * tabs are kept, every other control and bidi character becomes `\xHH` or `\uHHHH`. Text without them
 * comes back unchanged (the same string).
 * @param s text from the wire or from a peer
 * @returns printable text with the same visible characters and lines, and no other control or bidi character
 * @example escapeLinesForTerminal("up 3 days\n\x1b[2J") // "up 3 days\n\\x1b[2J"
 */
export function escapeLinesForTerminal(s: string): string {
  return UNSAFE_MULTILINE_TEST.test(s) ? s.replace(UNSAFE_MULTILINE, visible) : s;
}

// What JSON.stringify leaves raw that a terminal acts on: it escapes C0 already, not DEL, C1 or bidi.
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const JSON_UNSAFE_TEST = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * `JSON.stringify` for output a person may read on a terminal (`--json`, NDJSON events): DEL, C1 and bidi
 * characters are written as `\uHHHH` escapes too. Those can only occur inside JSON strings, where the
 * escape means the same character, so `JSON.parse` gives back exactly the same value.
 * @param value anything JSON.stringify takes (not undefined)
 * @param space indentation, as for JSON.stringify
 * @returns the JSON text
 */
export function jsonForTerminal(value: unknown, space?: number): string {
  const s = JSON.stringify(value, null, space);
  return JSON_UNSAFE_TEST.test(s) ? s.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : s;
}
