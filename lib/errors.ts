/**
 * The root of every error disco raises on purpose.
 *
 * Each capability folder has an `errors.ts` whose classes extend this one, set `name`, chain `cause` and carry
 * the fields a caller branches on. Callers branch on the class (`instanceof`) or those fields, never on
 * `message`.
 */
export class DiscoError extends Error {
  override name = "DiscoError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
