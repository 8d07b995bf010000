/** Text exactly as Python writes it, for the peers disco stays byte-compatible with (disco.py, PyDiscover). */
export { pyJsonDumps, pyNumber, type JsonValue } from "./json.ts";
