import { DiscoError } from "../errors.ts";

/** A task of the daemon failed (not aborted); carries the task's name and its error as `cause`. */
export class TaskError extends DiscoError {
  override name = "TaskError";
  readonly task: string;
  constructor(task: string, options?: { cause?: unknown }) {
    super(`task '${task}' failed: ${errorMessage(options?.cause)}`, options);
    this.task = task;
  }
}

/** The daemon cannot start or keep running: nothing enabled, or every task keeps failing. */
export class DaemonError extends DiscoError {
  override name = "DaemonError";
}

/** A control-socket request or response that is not what the protocol says. */
export class ControlProtocolError extends DiscoError {
  override name = "ControlProtocolError";
}

/** An error's message for logs and status (no stack, no class name for plain errors). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
