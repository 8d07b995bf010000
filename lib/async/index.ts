/** Async building blocks shared by the capabilities: bounded queues and fan-out. */
export { AsyncQueue, Subscribers, type AsyncQueueOptions, type Overflow } from "./queue.ts";
