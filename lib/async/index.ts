/** Async building blocks shared by the capabilities: bounded queues, fan-out, and leak-free waits. */
export { AsyncQueue, Subscribers, type AsyncQueueOptions, type Overflow } from "./queue.ts";
export { sleepUnlessAborted, untilAborted } from "./abortable.ts";
export { perTurn, turnMonotonicMs, turnUnixMs } from "./per-turn.ts";
