/**
 * The daemon (`disco run`): every capability the config enables, as supervised tasks of one process,
 * reloaded without losing anything. Depends on everything; nothing below lib/cli depends on it.
 *
 * ## Builders: how a capability joins the daemon
 *
 * Each capability has ONE {@link Builder} (see `build-*.ts`), the only place its config slice and the
 * resolved secrets become a running task; the commands reuse the same pieces. A builder has:
 *
 * - `name`: the task's name in logs and `disco status`;
 * - `slice(input)`: the plain data the task depends on, or `undefined` when disabled. Slices are compared
 *   structurally across reloads ({@link sameSlice}): an equal slice carries the task over untouched;
 * - `conflicts?(old, next)`: true when a new task would need what the old one holds (a TCP port, GPIO
 *   lines): the reload then stops the old one first and restores it if the new one cannot be prepared;
 * - `prepare(slice, ctx)`: does everything that can fail — keys, interfaces, BINDING sockets, opening lines —
 *   and returns a {@link Prepared}: `run({ signal })` (resolves when the signal aborts; `signal.reason` is a
 *   {@link StopReason}, "replaced" on a reload), an optional `update(next)` that stages an in-place change
 *   (returns a commit, or undefined when a new task is needed), optional `counters()` for status, and
 *   `close()`.
 *
 * Builders get a {@link DaemonContext}: daemon-lifetime things that survive reloads — the membership table,
 * the beacon identity, the current generation's GPIO lines (`ctx.gpio.get()`, for remote GPIO and MQTT
 * switches), the metrics / input-change fan-out (`ctx.subscribe()`, `ctx.latestMetric()`), the status
 * snapshot and the logger. To add a capability: write `build-<name>.ts` exporting a `Builder`, add it to
 * {@link DEFAULT_BUILDERS}, and give it a unit test of its slice (which changes restart it, which update it).
 *
 * ## Reload
 *
 * {@link Daemon.reload} plans per builder ({@link planReload}: keep / change / start / stop), prepares every
 * new or changed task beside the running ones, and only then commits: staged updates apply, replaced tasks
 * stop (without goodbye), new ones start. Any failure leaves the running generation as it was and returns
 * every problem. Tasks that fail or end early are restarted with backoff ({@link SupervisedTask}).
 */
export { ControlError, ControlProtocolError, DaemonError, TaskError, errorMessage } from "./errors.ts";
export {
  CONTROL_REQUESTS,
  MAX_CONTROL_LINE_BYTES,
  decodeEvent,
  decodeLine,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  errorResponse,
  type ControlErrorCode,
  type ControlEvent,
  type ControlRequest,
  type ControlRequestName,
  type ControlResponse,
} from "./control-codec.ts";
export { openControlServer, requestControl, watchControl, type ControlServer, type ControlServerOptions, type RequestControlOptions } from "./control.ts";
export type { Builder, DaemonContext, PrepareMode, DaemonEvent, DaemonInput, DaemonLogger, DaemonSecrets, Prepared, Slot, StopReason } from "./types.ts";
export { createLogger, type LogFields, type LogLevel, type Logger, type LoggerOptions } from "./log.ts";
export { SystemdLink, type SystemdLinkOptions } from "./systemd.ts";
export { NotifySocketError, encodeNotify, encodeSockaddrUn, openNotifier, watchdogIntervalMs, type Notifier } from "./sd-notify.ts";
export { summarizeStatus, type DaemonStatus, type HostCounts, type ReloadOutcome, type TaskState, type TaskStatus } from "./status.ts";
export { planReload, sameSlice, sameSliceExcept, type PlanAction, type PlanStep, type PlannedBuilder } from "./plan.ts";
export { SupervisedTask, backoffMs, systemSupervisorClock, type BackoffOptions, type SupervisedTaskOptions, type SupervisorClock } from "./supervisor.ts";
export { Daemon, slot, type DaemonExit, type DaemonOptions } from "./daemon.ts";
export { openPersistentIdentity, type PersistentIdentityOptions } from "./state.ts";
export { discoveryBuilder, type DiscoverySlice } from "./build-discovery.ts";
export { beaconsBuilder, type BeaconsSlice } from "./build-beacons.ts";
export { metricsBuilder, type MetricsSlice } from "./build-metrics.ts";
export { gpioBuilder, type GpioSlice } from "./build-gpio.ts";
export { controlBuilder, type ControlSlice } from "./build-control.ts";
export { httpBuilder, type FleetViewSlice } from "./build-http.ts";
export { mqttBuilder, type MqttSlice } from "./build-mqtt.ts";

import { beaconsBuilder } from "./build-beacons.ts";
import { controlBuilder } from "./build-control.ts";
import { discoveryBuilder } from "./build-discovery.ts";
import { gpioBuilder } from "./build-gpio.ts";
import { httpBuilder } from "./build-http.ts";
import { mqttBuilder } from "./build-mqtt.ts";
import { metricsBuilder } from "./build-metrics.ts";
import type { Builder } from "./types.ts";

/** Every capability's builder, in start order. */
export const DEFAULT_BUILDERS: readonly Builder[] = [discoveryBuilder, beaconsBuilder, metricsBuilder, gpioBuilder, controlBuilder, httpBuilder, mqttBuilder] as readonly Builder[];
