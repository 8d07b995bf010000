/**
 * The HTTP task as the daemon runs it: {@link prepareHttpService} binds the server (so a reload onto a
 * taken port fails before anything stops), `run` feeds the fleet view until the signal, `close` stops the
 * server. Shaped to fit the daemon's builder contract (prepare, run, counters, close).
 */
import { FleetState, type CounterSample, type FleetStateOptions } from "./fleet.ts";
import { attachGpio, feedFleet, type FleetSources } from "./feed.ts";
import { startHttpServer, type HttpServerHandle } from "./server.ts";

/** Options of {@link prepareHttpService}. */
export interface HttpServiceOptions {
  /** This host as it describes itself. */
  readonly self: FleetStateOptions["self"];
  readonly address: string;
  readonly port: number;
  readonly token?: string;
  /** @default 64 */
  readonly maxClients?: number;
  /** Root of `proc/` and `sys/` for the node_exporter families. @default "/" */
  readonly root?: string;
  readonly sources: FleetSources;
  /** The daemon's status for `/api/status`. */
  readonly status?: () => Readonly<Record<string, unknown>>;
  /** The daemon's counters for `/metrics` and the page. */
  readonly counters?: () => readonly CounterSample[];
  /** Errors requests ran into (answered with 500). */
  readonly onError?: (err: Error) => void;
}

/** A prepared (bound, not yet fed) HTTP task. */
export interface PreparedHttpService {
  readonly server: HttpServerHandle;
  readonly fleet: FleetState;
  run(options: { signal: AbortSignal }): Promise<void>;
  counters(): Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Binds the server and builds its fleet view.
 * @throws {HttpError} when the address cannot be bound
 */
export async function prepareHttpService(o: HttpServiceOptions): Promise<PreparedHttpService> {
  const fleet = new FleetState({ self: o.self });
  attachGpio(fleet, o.sources);
  fleet.setProviders({ ...(o.status && { status: o.status }), ...(o.counters && { counters: o.counters }) });
  const server = await startHttpServer({
    fleet,
    address: o.address,
    port: o.port,
    ...(o.token !== undefined && { token: o.token }),
    ...(o.maxClients !== undefined && { maxClients: o.maxClients }),
    ...(o.root !== undefined && { root: o.root }),
    ...(o.onError !== undefined && { onError: o.onError }),
  });
  // A server the LAN cannot reach is not announced, but its own /sd and page still name it.
  if (o.self.httpEndpoint === undefined && o.address !== "0.0.0.0" && o.address !== "::") fleet.setSelf({ ...o.self, httpEndpoint: server.url });
  return {
    server,
    fleet,
    run: async ({ signal }) => {
      await feedFleet(fleet, o.sources, signal);
    },
    counters: () => {
      const c = server.counters();
      let requests = 0;
      for (const n of c.requests.values()) requests += n;
      return { url: server.url, requests, eventClients: c.eventClients, eventClientsDropped: c.eventClientsDropped };
    },
    close: async () => {
      fleet.close();
      await server.close();
    },
  };
}
