/** Test helper for codec properties (STYLE.md §8): arbitrary bytes yield a value or a DiscoError, never a crash. */
import assert from "node:assert/strict";
import { DiscoError } from "../../lib/errors.ts";

/**
 * Runs `decode`; passes when it returns or throws a {@link DiscoError}.
 * @throws AssertionError when it throws anything else
 */
export function assertDiscoErrorOnly(decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    assert.ok(e instanceof DiscoError, String(e));
  }
}
