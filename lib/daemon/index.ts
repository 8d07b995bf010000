/** The daemon: wires the capabilities together as tasks. Depends on everything; nothing depends on it. */
export { DaemonError, TaskError } from "./errors.ts";
export { runTasks, type RunTasksOptions, type Task, type TaskEvent } from "./supervisor.ts";
export { planTasks, type DaemonPlan } from "./tasks.ts";
