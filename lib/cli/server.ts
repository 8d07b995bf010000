import type { DiscoveryConfig } from "../config/index.ts";
import { DROP_REASONS, encodeDescription, serveDiscovery, type Decision, type ResponderCounters } from "../discovery/index.ts";
import { describeListenAddress, NetError } from "../net/index.ts";
import { parseFlags, parseIpv4Flag } from "./_args.ts";
import { loadServicesFile, resolveHostName } from "./_config.ts";
import { DISCOVERY_FLAGS, resolveDiscoveryBasics, resolveDiscoveryKeys } from "./_discovery.ts";
import { createDescriber } from "../offers/index.ts";
import type { CliIo, Command } from "./command.ts";
import { explainErrno } from "./_os-errors.ts";
import { CONTROL_PURPOSE, hasControlToServe } from "../control/index.ts";
import { createKeyring } from "../crypto/index.ts";
import { runControlTarget } from "./_control.ts";
import { describePageOut, pageOutWhenSettled } from "../page-out.ts";

const HELP = `Usage: disco-server [-c FILE] [-d FILE] [-p PORT] [-m MAGIC] [--password-file F | --key-file F]
                    [-l ADDR] [--name NAME] [--disable-hidden] [--legacy] [-v]
       (also: disco server ...)

Answers discovery queries from disco-client with this host's self-description: name, addresses,
version, uptime and the [services] table. Queries on another magic, with the wrong password or key,
stale, replayed or over the rate limit get silence (hidden mode), unless --disable-hidden.
A sealed query whose time is off (a clock at 1970) gets a challenge instead, which disco-client answers.

With [[gpio.*]] lines or [[query]] in the config, it also serves them to 'disco gpio --host' and
'disco query' on [control] port (default 40001), over the sealed channel only.

Flags (they override the config file):
  -c, --config FILE       config file (default /etc/disco.toml; [discovery], [services], [host])
  -d, --discover-info F   services from a TOML file or a PyDiscover .cfg ([DEFAULT] section); -d is
                          PyDiscover's meaning (in broadcast and hosts, -d is disco.py's --delay)
  -p, --port PORT         UDP port (default 40000, 50000 with --legacy; 0 lets the OS choose, printed at start)
  -m, --magic MAGIC       channel name; never sent in clear (default "disco", "fna349fn" with --legacy)
      --password-file F   first line is the shared password (PBKDF2, derived once at start-up)
      --key-file F        keys from 'disco keygen', one per line; the first seals
      --password PW       the password itself: works, but is visible in 'ps'; prefer --password-file
  -l, --listen ADDR       address to answer on (default 0.0.0.0: every interface). An address of this
                          host answers unicast to it and the broadcasts of its interface, from it
  -n, --name NAME         host name in answers (default [host] name, else the system host name)
      --disable-hidden    answer refused queries with a small error frame (never the magic or key)
      --legacy            also answer PyDiscover clients (INSECURE: unauthenticated AES-CTR). Needs a
                          password, which is then PyDiscover's only: it seals nothing else (give
                          --key-file for sealed disco clients). The defaults become PyDiscover's
                          (port 50000, magic fna349fn)
  -v, --verbose           log every decision to stderr, and the counters on exit (also --debug)

Examples:
  disco-server -c /etc/disco.toml -v
  disco-server -p 40000 -m shed --password-file /etc/disco.password -d services.cfg
  disco-server -l 127.0.0.1 -p 40001 -m test --key-file test.key --name bench-1 -v
  disco-server --legacy --password-file pw -d example.cfg     (a drop-in for pydiscover-server)

Stops on SIGINT/SIGTERM. Exit codes: 0 stopped, 1 cannot listen, 2 usage or config error.
`;

function formatDecision(d: Decision): string {
  const what = d.action === "answer" ? "answered" : d.action === "challenge" ? `challenged (${d.challenged === "clock" ? "our clock is before this version's date" : "its time is outside max_skew"})` : d.action === "error" ? `refused (${d.reason}), error frame sent` : `dropped (${d.reason})`;
  return `${d.legacy ? "legacy " : ""}${d.source}: ${what}, ${d.bytesIn} bytes in, ${d.bytesOut} out\n`;
}

/** The counters as one line. */
export function formatCounters(c: ResponderCounters): string {
  const drops = DROP_REASONS.filter((r) => c.dropped[r] > 0).map((r) => `${r}=${c.dropped[r]}`).join(" ");
  return `seen=${c.seen} answered=${c.answered} challenged=${c.challenged} errors_sent=${c.errorsSent} dropped{${drops}} bytes_in=${c.bytesIn} bytes_out=${c.bytesOut} errors=${c.errors}${c.legacySeen ? ` legacy_seen=${c.legacySeen}` : ""}${c.overflowed ? ` overflowed=${c.overflowed}` : ""}`;
}

/** `disco server` / `disco-server`: answers discovery queries until stopped. */
export const command: Command = {
  name: "server",
  async run(argv, io, signal) {
    const { values: f, help } = parseFlags("server", argv, {
      ...DISCOVERY_FLAGS,
      "discover-info": { type: "string", short: "d" },
      listen: { type: "string", short: "l" },
      name: { type: "string", short: "n" },
      "disable-hidden": { type: "boolean" },
    });
    if (help) {
      io.out(HELP);
      return 0;
    }
    const basics = resolveDiscoveryBasics("server", f, 0);
    const { config, discovery: d, port, magic, legacy, verbose } = basics;
    const listen = f.listen ?? d.listen;
    parseIpv4Flag("server", "-l", listen, "0.0.0.0");
    const hidden = f["disable-hidden"] ? false : d.hidden;
    const services = f["discover-info"] !== undefined ? loadServicesFile(f["discover-info"]) : config.services;
    const host = resolveHostName("server", f.name, config);
    const keys = await resolveDiscoveryKeys("server", basics, f, io);
    if (!keys) return 2;
    const { keyring, legacyKey } = keys;
    const describe = createDescriber(config, { host, listen, services });
    // Fail on an oversized [services] now, not on the first query.
    encodeDescription(describe());
    // The banner says what a stranger on the LAN can get from this server, no more and no less.
    const mode = [
      keyring ? "sealed" : legacy ? "disco queries not answered (legacy without a key; --key-file serves sealed clients)" : "UNSEALED (no password or key)",
      hidden ? "hidden" : "not hidden",
      ...(legacy ? ["legacy PyDiscover (unauthenticated AES-CTR; its password is exposed to the LAN)"] : []),
    ].join(", ");
    // With [[gpio.*]] lines or [[query]] in the config, the server also serves them remotely ([control] port).
    const stopAll = new AbortController();
    const both = AbortSignal.any([signal, stopAll.signal]);
    const control = hasControlToServe(config)
      ? runControlTarget({
          config,
          ...(keys.rawKeys.length && { keyring: await createKeyring(keys.rawKeys, CONTROL_PURPOSE) }),
          magic,
          listen,
          hidden,
          host,
          io,
          signal: both,
          verbose,
        }).then(
          () => 0,
          (err: unknown) => {
            io.err(`disco server: control: ${err instanceof Error ? err.message : String(err)}${err instanceof NetError ? explainErrno(err.code, { EADDRINUSE: "another server on this port? set [control] port" }) : ""}\n`);
            stopAll.abort();
            return 1;
          },
        )
      : Promise.resolve(0);
    // Once listening, a long-running server gives back its start-up pages, as the daemon does.
    const pageOut = pageOutWhenSettled({
      done: (r) => {
        if (verbose) io.err(`disco server: ${describePageOut(r)}\n`);
      },
    });
    let counters: ResponderCounters;
    try {
      counters = await serveDiscovery({
        signal: both,
        config: { ...d, magic, port, listen, hidden, legacy },
        ...(keyring && { keyring }),
        ...(legacyKey && { legacyKey }),
        describe,
        onListening: (address, boundPort, siblings) => {
          const broadcast = siblings.filter((b) => b.kind === "broadcast").map((b) => ` and broadcast ${b.address}`).join("");
          io.err(`disco server: listening on ${address}:${boundPort}${broadcast}${d.multicastGroup ? ` and group ${d.multicastGroup}` : ""} as '${host}' (${mode})\n`);
          if (address !== "0.0.0.0") io.err(`disco server: listen = ${describeListenAddress(address)}\n`);
          pageOut.request();
        },
        ...(verbose && { onDecision: (dec: Decision) => io.err(formatDecision(dec)) }),
      });
    } catch (err) {
      pageOut.cancel();
      if (err instanceof NetError) {
        const hint = explainErrno(err.code, { EADDRINUSE: "another server on this port? choose another with -p", EADDRNOTAVAIL: "-l must be an address of this host", EACCES: "ports below 1024 need root" });
        io.err(`disco server: ${err.message}${hint}\n`);
        stopAll.abort();
        await control;
        return 1;
      }
      stopAll.abort();
      await control;
      throw err;
    }
    pageOut.cancel();
    stopAll.abort();
    const controlExit = await control;
    if (verbose) io.err(`disco server: stopped; ${formatCounters(counters)}\n`);
    return controlExit;
  },
};
