import { DiscoError } from "../errors.ts";

/** A task of the daemon failed (not aborted); carries the task's name and its error as `cause`. */
export class TaskError extends DiscoError {
  override name = "TaskError";
  readonly task: string;
  constructor(task: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`task '${task}' failed: ${reason}`, options);
    this.task = task;
  }
}
