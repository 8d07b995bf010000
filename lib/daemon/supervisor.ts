/**
 * Runs the daemon's capabilities as cooperating async tasks under one AbortSignal: they start together,
 * the first real failure stops the others (systemd restarts the whole service), and an abort stops all.
 */
import { TaskError } from "./errors.ts";

/** One long-running capability. `run` resolves when its signal aborts and rejects only on a real failure. */
export interface Task {
  readonly name: string;
  run(options: { signal: AbortSignal }): Promise<void>;
}

/** What happened to a task, for the caller's log. */
export type TaskEvent =
  | { readonly type: "started"; readonly task: string }
  | { readonly type: "stopped"; readonly task: string }
  | { readonly type: "failed"; readonly task: string; readonly error: unknown };

/** Options for {@link runTasks}. */
export interface RunTasksOptions {
  /** Aborting it stops every task. */
  signal: AbortSignal;
  /** Called for every task event (logging). */
  onEvent?: (event: TaskEvent) => void;
}

/**
 * Runs tasks until the signal aborts or one fails.
 * @param tasks the tasks to run together
 * @returns when every task has stopped after an abort
 * @throws {TaskError} for the first task that failed, after the others have stopped
 */
export async function runTasks(tasks: readonly Task[], options: RunTasksOptions): Promise<void> {
  const inner = new AbortController();
  const signal = AbortSignal.any([options.signal, inner.signal]);
  let first: TaskError | undefined;
  await Promise.all(
    tasks.map(async (task) => {
      options.onEvent?.({ type: "started", task: task.name });
      try {
        await task.run({ signal });
        options.onEvent?.({ type: "stopped", task: task.name });
      } catch (error) {
        options.onEvent?.({ type: "failed", task: task.name, error });
        first ??= new TaskError(task.name, { cause: error });
        inner.abort(first);
      }
    }),
  );
  if (first) throw first;
}
