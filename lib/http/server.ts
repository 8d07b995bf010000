/**
 * The daemon's HTTP server (Bun.serve): the live page, the JSON API, server-sent events, Prometheus
 * exposition and http_sd, over one {@link FleetView}. With a token, every request needs it (a bearer
 * header, or the page's cookie); GPIO writes need it always, and only reach `remote = true` lines.
 */
import { timingSafeEqual } from "node:crypto";
import { VERSION } from "../version.ts";
import { HttpError } from "./errors.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition, type MetricFamily } from "./exposition.ts";
import type { FleetEvent, FleetView } from "./fleet.ts";
import { discoFamilies } from "./disco-families.ts";
import { collectNodeFamilies } from "./node-exporter.ts";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./_page.ts";
import { buildServiceDiscovery } from "./sd.ts";
import { encodeSseEvent, SSE_PING, SseHub } from "./sse.ts";

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  readonly fleet: FleetView;
  /** Address to bind. @default "127.0.0.1" */
  readonly address?: string;
  /** Port; 0 lets the OS choose. @default 9180 */
  readonly port?: number;
  /** The bearer token; without one, only loopback should be bound (the config checks) and GPIO writes are refused. */
  readonly token?: string;
  /** Most `/events` streams. @default 64 */
  readonly maxClients?: number;
  /** Root of `proc/` and `sys/` for the node_exporter families. @default "/" */
  readonly root?: string;
  /** Keep-alive comment interval on `/events`, in ms. @default 15000 */
  readonly pingIntervalMs?: number;
  /** How often counters and last-seen times are pushed to `/events`, in ms. @default 2000 */
  readonly countersIntervalMs?: number;
  /** Called with an error a request ran into (answered with 500). */
  readonly onError?: (err: Error) => void;
}

/** A running server. */
export interface HttpServerHandle extends AsyncDisposable {
  /** `http://address:port` as bound. */
  readonly url: string;
  readonly port: number;
  /** Requests served, by route, and event streams dropped for falling behind. */
  counters(): { requests: ReadonlyMap<string, number>; eventClients: number; eventClientsDropped: number };
  /** Stops listening and ends every stream; idempotent. */
  close(): Promise<void>;
}

const COOKIE = "disco_token";
const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function respond(body: ConstructorParameters<typeof Response>[0], status: number, type: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": type, "cache-control": "no-store", ...SECURITY_HEADERS, ...extra } });
}
const json = (v: unknown, status = 200) => respond(JSON.stringify(v), status, "application/json; charset=utf-8");
const text = (t: string, status: number, extra?: Record<string, string>) => respond(`${t}\n`, status, "text/plain; charset=utf-8", extra);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: Request): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === COOKIE) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

function authorized(req: Request, token: string | undefined): boolean {
  if (token === undefined) return true;
  const auth = req.headers.get("authorization");
  const bearer = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
  const given = bearer ?? cookieToken(req);
  return given !== undefined && sameSecret(given, token);
}

/** The snapshot an `/events` stream starts with, and `/api/hosts` + friends in one. */
function snapshot(fleet: FleetView, canWrite: boolean): Record<string, unknown> {
  return {
    self: fleet.host,
    canWrite,
    hosts: fleet.hosts(),
    metrics: Object.fromEntries(fleet.metrics()),
    gpio: fleet.gpio(),
    counters: fleet.counters(),
  };
}

function encodeFleetEvent(e: FleetEvent): Uint8Array {
  switch (e.type) {
    case "metric":
      return encodeSseEvent("metric", JSON.stringify({ host: e.host, metrics: e.metrics }));
    case "gpio":
      return encodeSseEvent("gpio", JSON.stringify(e.line));
    default:
      return encodeSseEvent(e.type, JSON.stringify(e.host));
  }
}

/**
 * Binds and starts serving.
 * @returns the running server
 * @throws {HttpError} when the address cannot be bound (e.g. the port is taken)
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { fleet, token } = options;
  const address = options.address ?? "127.0.0.1";
  const hub = new SseHub({ maxClients: options.maxClients ?? 64 });
  const requests = new Map<string, number>();
  const count = (route: string) => requests.set(route, (requests.get(route) ?? 0) + 1);
  const stop = new AbortController();

  const exposition = async (): Promise<string> => {
    const own: MetricFamily[] = [
      {
        name: "disco_http_requests_total",
        help: "HTTP requests served, by route.",
        type: "counter",
        samples: [...requests].map(([route, value]) => ({ labels: { route }, value })),
      },
      { name: "disco_http_event_clients", help: "Open /events streams.", type: "gauge", samples: [{ value: hub.size }] },
      { name: "disco_http_event_clients_dropped_total", help: "/events streams closed for falling behind.", type: "counter", samples: [{ value: hub.dropped }] },
    ];
    const node = await collectNodeFamilies({ root: options.root ?? "/" });
    // The daemon's counters include this task's own, under the names written here: those are skipped.
    const reserved = new Set([...own, ...node].map((f) => f.name));
    return renderExposition([...node, ...discoFamilies(fleet.hosts(), fleet.counters(), { host: fleet.host, version: VERSION }, reserved), ...own]);
  };

  const writeGpio = async (req: Request, name: string): Promise<Response> => {
    if (token === undefined) return text("GPIO writes need a token: set [http] token_file", 403);
    if (req.headers.get("content-type")?.split(";")[0]?.trim() !== "application/json") return text("expected a JSON body (content-type: application/json)", 415);
    const line = fleet.gpio().find((l) => l.name === name);
    if (!line) return text(`no GPIO line ${JSON.stringify(name)} on this host`, 404);
    if (!line.remote || !fleet.writeGpio) return text(`${name} is not writable from here (it needs remote = true)`, 403);
    let body: unknown;
    try {
      body = JSON.parse(await req.text());
    } catch {
      return text("the body is not JSON", 400);
    }
    const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["value"] : undefined;
    const ok = typeof value === "number" && (line.kind === "pwm" ? value >= 0 && value <= 1 : value === 0 || value === 1);
    if (!ok) return text(line.kind === "pwm" ? 'expected {"value": <duty from 0 to 1>}' : 'expected {"value": 0} or {"value": 1}', 400);
    try {
      await fleet.writeGpio(name, value);
    } catch (err) {
      return text(`writing ${name} failed: ${err instanceof Error ? err.message : String(err)}`, 500);
    }
    return json({ name, value });
  };

  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: address,
      port: options.port ?? 9180,
      idleTimeout: 30,
      fetch: async (req, srv) => {
        const url = new URL(req.url);
        const path = url.pathname;
        if (token !== undefined && path === "/" && url.searchParams.has("token")) {
          const given = url.searchParams.get("token") ?? "";
          if (!sameSecret(given, token)) return text("wrong token", 401, { "www-authenticate": 'Bearer realm="disco"' });
          // The token moves into a cookie the page's requests carry; SameSite=Strict keeps other sites from using it.
          return respond(null, 303, "text/plain", { location: "./", "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict` });
        }
        if (!authorized(req, token)) {
          count("unauthorized");
          return text("this server needs its token: open /?token=<token>, or send Authorization: Bearer <token>", 401, { "www-authenticate": 'Bearer realm="disco"' });
        }
        const canWrite = token !== undefined;
        if (req.method === "POST" && path.startsWith("/api/gpio/")) {
          count("/api/gpio");
          return writeGpio(req, decodeURIComponent(path.slice("/api/gpio/".length)));
        }
        if (req.method !== "GET" && req.method !== "HEAD") return text("method not allowed", 405, { allow: "GET, HEAD" });
        count(path.startsWith("/api/") || ["/", "/page.js", "/page.css", "/favicon.ico", "/events", "/metrics", "/sd"].includes(path) ? path : "other");
        switch (path) {
          case "/":
            return respond(PAGE_HTML, 200, "text/html; charset=utf-8");
          case "/page.js":
            return respond(PAGE_JS, 200, "text/javascript; charset=utf-8");
          case "/page.css":
            return respond(PAGE_CSS, 200, "text/css; charset=utf-8");
          case "/favicon.ico":
            return respond(null, 204, "image/x-icon");
          case "/api/hosts":
            return json(fleet.hosts());
          case "/api/status":
            return json({ host: fleet.host, version: VERSION, ...fleet.status() });
          case "/api/metrics":
            return json(Object.fromEntries(fleet.metrics()));
          case "/api/gpio":
            return json(fleet.gpio());
          case "/metrics":
            return respond(await exposition(), 200, EXPOSITION_CONTENT_TYPE);
          case "/sd":
            return json(buildServiceDiscovery(fleet.hosts()));
          case "/events": {
            const stream = hub.open(encodeSseEvent("snapshot", JSON.stringify(snapshot(fleet, canWrite))), AbortSignal.any([req.signal, stop.signal]));
            if (!stream) return text("too many event streams", 503, { "retry-after": "10" });
            srv.timeout(req, 0); // a stream is quiet between events: no idle timeout
            return respond(stream, 200, "text/event-stream; charset=utf-8", { "x-accel-buffering": "no" });
          }
          default:
            return text("not found", 404);
        }
      },
      error: (err) => {
        options.onError?.(err);
        return text("internal error", 500);
      },
    });
  } catch (err) {
    throw new HttpError(`cannot listen on ${address}:${options.port ?? 9180}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      listen: `${address}:${options.port ?? 9180}`,
    });
  }

  // One subscription for all streams: each event is encoded once.
  const events = fleet.subscribe({ signal: stop.signal, capacity: 4096 });
  const pump = (async () => {
    for await (const e of events) if (hub.size) hub.broadcast(encodeFleetEvent(e));
  })();
  const ping = setInterval(() => hub.broadcast(SSE_PING), options.pingIntervalMs ?? 15_000);
  const pushCounters = setInterval(() => {
    if (!hub.size) return;
    hub.broadcast(encodeSseEvent("counters", JSON.stringify(fleet.counters())));
    // fromEntries defines own properties: a host named "__proto__" (a valid name) is a key like any other,
    // where assigning it to a plain object would set the prototype and drop it.
    const seen = Object.fromEntries(fleet.hosts().filter((h) => !h.self).map((h) => [h.host, h.lastSeenUnixMs]));
    hub.broadcast(encodeSseEvent("seen", JSON.stringify(seen)));
  }, options.countersIntervalMs ?? 2000);

  const port = server.port ?? 0;
  const host = address.includes(":") ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(ping);
      clearInterval(pushCounters);
      stop.abort();
      hub.close();
      await server.stop(true);
      await pump;
    })());
  return {
    url: `http://${host}:${port}`,
    port,
    counters: () => ({ requests, eventClients: hub.size, eventClientsDropped: hub.dropped }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Runs the server until the signal: the task form of {@link startHttpServer}.
 * @throws {HttpError} when it cannot bind
 */
export async function runHttpServer(options: HttpServerOptions & { signal: AbortSignal; onListening?: (url: string) => void }): Promise<void> {
  await using server = await startHttpServer(options);
  options.onListening?.(server.url);
  if (options.signal.aborted) return;
  await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
}
