/**
 * Text rules shared by every capability: the host name and announced-address rules (one definition each,
 * used where a name or an address enters),
 * escaping of untrusted text for terminals (used by every line lib/cli prints for people), and the order
 * names are listed in.
 */
export { HOST_NAME_PATTERN, HOST_NAME_RULE, MAX_HOST_NAME_BYTES, isValidHostName } from "./host-name.ts";
export { isAddressLiteral } from "./address.ts";
export { escapeForTerminal, escapeLinesForTerminal, jsonForTerminal } from "./escape.ts";
export { compareNatural } from "./compare.ts";
