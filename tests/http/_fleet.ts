/** A fleet for HTTP and MQTT tests: this host with lines, and peers fed in by the test. */
import { FleetState, type GpioLineView } from "../../lib/http/index.ts";

/** A FleetState for host "shed" whose writes land in `writes` and update the line. */
export function testFleet(lines: GpioLineView[] = []): { fleet: FleetState; writes: [string, number][] } {
  const fleet = new FleetState({ self: { host: "shed", addresses: ["127.0.0.1"], version: "0.1.0", services: { web: "http://shed/" }, httpEndpoint: "http://127.0.0.1:9180" } });
  for (const l of lines) fleet.applyGpio(l);
  const writes: [string, number][] = [];
  fleet.writeGpio = async (name, value) => {
    writes.push([name, value]);
    const line = fleet.gpio().find((l) => l.name === name)!;
    fleet.applyGpio({ ...line, value });
  };
  return { fleet, writes };
}

/** Reads server-sent events from a response body as { event, data } until `until` says stop. */
export async function readEvents(res: Response, until: (events: { event: string; data: string }[]) => boolean, timeoutMs = 10_000): Promise<{ event: string; data: string }[]> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buf = "";
  const deadline = AbortSignal.timeout(timeoutMs);
  const timedOut = new Promise<never>((_, reject) => deadline.addEventListener("abort", () => reject(new Error(`no matching events within ${timeoutMs} ms: ${JSON.stringify(events.map((e) => e.event))}`)), { once: true }));
  try {
    while (!until(events)) {
      const r = await Promise.race([reader.read(), timedOut]);
      if (r.done) throw new Error(`stream ended after ${JSON.stringify(events.map((e) => e.event))}`);
      buf += dec.decode(r.value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length) events.push({ event, data: data.join("\n") });
      }
    }
  } finally {
    reader.releaseLock();
  }
  return events;
}
