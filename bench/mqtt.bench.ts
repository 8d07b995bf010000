/**
 * MQTT bridge benchmarks against a real mosquitto on loopback (figures, never pass/fail):
 *  1. State change -> broker latency: an input change applied to the fleet view until a subscriber holds
 *     the state message; p50/p99 over 500 changes, one at a time.
 *  2. Messages per second the bridge sustains: 20,000 metric values in chunks of 1,000 (each waited for at
 *     the subscriber), next to a bare MQTT.js client publishing the same messages (the baseline).
 */
import mqtt from "mqtt";
import { FleetState } from "../lib/http/index.ts";
import { MqttBridge } from "../lib/mqtt/index.ts";
import { mosquittoUnavailable, startMosquitto, watch } from "../tests/mqtt/_mosquitto.ts";

const skip = mosquittoUnavailable();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

await using broker = await startMosquitto();
const fleet = new FleetState({ self: { host: "bench", addresses: [], version: "0.1.0" } });
fleet.applyGpio({ name: "door", kind: "input", value: 0, remote: false });
const stop = new AbortController();
const bridge = new MqttBridge({ fleet, url: broker.url, discovery: false, fleetAvailability: false });
const running = bridge.run(stop.signal);
await using w = await watch(broker.url, ["disco/bench/#"]);
await w.until(() => w.last.get("disco/bench/availability")?.payload === "online", "online");

const latencies: number[] = [];
for (let i = 1; i <= 500; i++) {
  const want = i % 2 ? "ON" : "OFF";
  const t = performance.now();
  fleet.applyGpio({ name: "door", kind: "input", value: i % 2 ? 1 : 0, remote: false });
  await w.until(() => w.last.get("disco/bench/gpio/door/state")?.payload === want, "state");
  latencies.push(performance.now() - t);
}
console.log(`state change -> broker -> subscriber: p50 ${pct(latencies, 0.5).toFixed(2)} ms, p99 ${pct(latencies, 0.99).toFixed(2)} ms (500 changes, loopback mosquitto)`);

const N = 20_000;
/** Publishes N values in chunks of 1,000, each chunk waited for at the subscriber: a sustained rate, no overflow. */
async function sustained(publish: (i: number) => void, topic: string): Promise<{ perSec: number; delivered: number }> {
  const before = w.log.length;
  const t = performance.now();
  for (let start = 0; start < N; start += 1000) {
    for (let i = start; i < start + 1000; i++) publish(i);
    await w.until(() => w.last.get(topic)?.payload === String(start + 999), `value ${start + 999} on ${topic}`, 60_000);
  }
  const delivered = w.log.slice(before).filter((m) => m.topic === topic).length;
  return { perSec: delivered / ((performance.now() - t) / 1000), delivered };
}
const viaBridge = await sustained((i) => fleet.applyMetric("bench", { counter: i }), "disco/bench/metrics/counter");
const bare = await mqtt.connectAsync(broker.url, { clientId: "bench-bare" });
const viaBare = await sustained((i) => bare.publish("disco/bench/metrics/bare", String(i), { qos: 0, retain: true }), "disco/bench/metrics/bare");
await bare.endAsync();
console.log(
  `sustained, ${N} metric values in chunks of 1,000 (QoS 0, retained): bridge ${viaBridge.delivered} delivered at ${Math.round(viaBridge.perSec)} msg/s; ` +
    `bare MQTT.js client ${viaBare.delivered} at ${Math.round(viaBare.perSec)} msg/s (ratio ${(viaBridge.perSec / viaBare.perSec).toFixed(2)})`,
);
stop.abort();
await running;
