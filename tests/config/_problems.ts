/** Test helpers for lib/config: the error a config text is refused with, and its problems. */
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../lib/config/index.ts";

/**
 * Parses `text`, which must fail, and returns the ConfigError.
 * @param file the file name the problems are reported under
 * @throws AssertionError when it parses, or fails with anything but a ConfigError
 */
export function configError(text: string, file?: string): ConfigError {
  try {
    parseConfig(text, file !== undefined ? { file } : {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err;
  }
  assert.fail("expected a ConfigError");
}

/** The problems of a refused config as `key@line` (`-` when there is no line). */
export function problems(text: string): string[] {
  return configError(text).problems.map((p) => `${p.key}@${p.line ?? "-"}`);
}
