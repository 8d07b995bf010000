/**
 * The address rule: an address a peer announces (a beacon's `addresses`, a discovery answer's) is an IP
 * literal, never free text, since it is printed, logged, followed by the metrics receiver and handed to
 * hooks in `DISCO_ADDRESSES`. The shape only (v4 dotted, or v6 hex, colons and dots); one definition for
 * every place an announced address enters.
 */
const ADDRESS_LITERAL = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * Whether an announced address has the shape of an IP literal.
 * @example isAddressLiteral("10.0.0.5") // true; isAddressLiteral("evil.example") // false
 */
export function isAddressLiteral(address: string): boolean {
  return ADDRESS_LITERAL.test(address);
}
