/**
 * The metrics proxy in a process of its own for bench/zmtp-proxy.bench.ts, with the backend limits given as
 * JSON (the compiled binary's `metrics --proxy` takes the defaults). Prints "ready FRONTEND BACKEND", then
 * "forwarded N" when stopped (SIGTERM).
 *
 * Usage: bun bench/_zmtp-proxy-server.ts '{"maxConnections":2000}'
 */
import { MetricsProxy } from "../lib/metrics/index.ts";

const limits = JSON.parse(process.argv[2] ?? "{}") as Record<string, number>;
await using proxy = await MetricsProxy.open({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0", limits });
const ac = new AbortController();
process.on("SIGTERM", () => ac.abort());
console.log(`ready ${proxy.frontend} ${proxy.backend}`);
const stats = await proxy.run(ac.signal);
console.log(`forwarded ${stats.forwarded}; backend refused ${proxy.stats.backend.refused}, subscriptions dropped ${proxy.stats.backend.subscriptionsDropped}, connections ${proxy.stats.backend.connections}`);
