import { DiscoError } from "../errors.ts";

/** Bad flags or arguments on the command line. The process exits 2 and suggests `--help`. */
export class UsageError extends DiscoError {
  override name = "UsageError";
  /** The command whose usage was wrong, for the "try `disco <command> --help`" hint. */
  readonly command: string;
  constructor(command: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.command = command;
  }
}
