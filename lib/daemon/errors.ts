import { DiscoError } from "../errors.ts";

/** The base of every daemon error. */
export class DaemonError extends DiscoError {
  override name = "DaemonError";
}

/** A task of the daemon failed (not aborted); carries the task's name and its error as `cause`. */
export class TaskError extends DaemonError {
  override name = "TaskError";
  readonly task: string;
  constructor(task: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`task '${task}' failed: ${reason}`, options);
    this.task = task;
  }
}
