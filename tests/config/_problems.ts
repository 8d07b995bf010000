/** Test helper for lib/config: the problems a config text is refused for. */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../lib/config/index.ts";

/**
 * Parses `text`, which must fail, and lists its problems as `key@line` (`-` when there is no line).
 * @throws AssertionError when it parses, or fails with anything but a ConfigError
 */
export function problems(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => `${p.key}@${p.line ?? "-"}`);
  }
  assert.fail("expected a ConfigError");
}
