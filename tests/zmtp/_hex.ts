/** Builds bytes from a commented hex fixture: `#` to end of line is a comment, whitespace is ignored. */
export function bytes(fixture: string): Uint8Array {
  const clean = fixture.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (clean.length % 2) throw new Error("odd hex fixture");
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** The ASCII bytes of `text` as hex (for fixtures). */
export function ascii(text: string): string {
  return Buffer.from(text, "latin1").toString("hex");
}
