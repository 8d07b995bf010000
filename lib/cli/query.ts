/**
 * `disco query NAME [PAYLOAD]`: runs a declared `[[query]]` on every host that has it (or one, with
 * --host), over the sealed channel with a challenge per host, and prints every answer that arrives before
 * the timeout.
 */
import { encodeQueryArgs, MAX_QUERY_PAYLOAD_BYTES, type ControlAnswer } from "../control/index.ts";
import { parseFlags } from "./_args.ts";
import { NAME_PATTERN, NAME_RULE } from "../config/index.ts";
import { compareNatural, escapeForTerminal, escapeLinesForTerminal, jsonForTerminal } from "../text/index.ts";
import { loadConfigFile } from "./_config.ts";
import { askTargets, CONTROL_CLIENT_FLAGS, CONTROL_CLIENT_HELP, describeRefusal, describeSilence, exitForStatus, resolveControlClient } from "./_control.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command } from "./command.ts";
import { UsageError } from "./errors.ts";

const HELP = `Usage: disco query NAME [PAYLOAD] [--host HOST] [-t SECONDS] [--json] [-v]

Runs the query NAME that hosts declare in their config ([[query]] name = "NAME", command = [...]) and
collects every answer until the timeout: each host's exit code and output (4 KB at most, marked when
cut). Without --host the request is broadcast like disco-client's query; with --host only that host runs
it. Every host answers with a single-use challenge first, so a captured request replayed later runs
nothing. The payload reaches the command as DISCO_QUERY_PAYLOAD (and _BASE64) and on its stdin, never in
a command line.

Flags:
  -c, --config FILE       config (default /etc/disco.toml): [discovery] magic and key, [control] port
${CONTROL_CLIENT_HELP}
      --json              one JSON document: every answer, refusal and what was asked

Examples:
  disco query uptime
  disco query uptime --host pi-2 -v
  disco query greet "hello there" --json | jq '.answers[] | {host, output}'
  disco query uptime --to 127.255.255.255 -p 40001 --key-file test.key    (hosts on this machine)

Exit codes: 0 at least one host ran it, 1 nobody answered (or every host refused), 2 usage or config
error (or the one host asked refused the request as wrong, e.g. an unknown query name).
`;

const enc = new TextEncoder();

function hostOf(a: ControlAnswer): string {
  return typeof a.body["host"] === "string" ? a.body["host"] : a.from;
}

/** `disco query` */
export const command: Command = {
  name: "query",
  async run(argv, io, signal) {
    const { values: f, positionals, help } = parseFlags("query", argv, { ...CONTROL_CLIENT_FLAGS, config: { type: "string", short: "c" }, json: { type: "boolean" } }, true);
    if (help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const [name, payloadText, ...extra] = positionals;
    if (!name) {
      io.err(HELP);
      return EXIT_USAGE;
    }
    if (extra.length) throw new UsageError("query", `one query name and at most one payload, got ${positionals.length} words (quote the payload)`);
    if (!NAME_PATTERN.test(name)) throw new UsageError("query", `'${name}' is not a query name (expected ${NAME_RULE})`);
    const payload = enc.encode(payloadText ?? "");
    if (payload.length > MAX_QUERY_PAYLOAD_BYTES) throw new UsageError("query", `the payload is ${payload.length} bytes; at most ${MAX_QUERY_PAYLOAD_BYTES}`);
    const { config } = loadConfigFile(f.config);
    const client = await resolveControlClient("query", config, f, io, signal);
    if ("exit" in client) return client.exit;
    const r = await askTargets("query", client, "query", encodeQueryArgs(name, payload), io, signal);
    const ok = r.answers.filter((a) => a.status === "ok");
    const refused = r.answers.filter((a) => a.status !== "ok");
    if (f.json) {
      const doc = {
        query: name,
        answers: r.answers.map((a) => ({ ...a.body, host: hostOf(a), from: a.from, status: a.status, ms: a.ms })),
        refusals: r.refusals,
        asked: client.targets.map((t) => `${t.address}:${t.port}`),
      };
      io.out(`${jsonForTerminal(doc, 2)}\n`);
    } else {
      // Each answer is the target's text (its name, its command's output): escaped for the terminal, the
      // output keeping its lines and tabs, every one-line field escaped whole.
      for (const a of [...ok].sort((x, y) => compareNatural(hostOf(x), hostOf(y)))) {
        const b = a.body;
        const exit = b["timedOut"] ? "timed out" : b["exitCode"] === null ? "killed" : `exit ${String(b["exitCode"])}`;
        io.out(`${escapeForTerminal(`== ${hostOf(a)} (${a.from.split(":")[0]}) ${exit}, ${a.ms} ms`)}\n`);
        const output = typeof b["output"] === "string" ? b["output"] : "";
        if (output) io.out(escapeLinesForTerminal(output.endsWith("\n") ? output : `${output}\n`));
        if (b["truncated"]) io.out(`${escapeForTerminal(`[output cut at ${output.length ? enc.encode(output).length : 0} of ${String(b["outputBytes"])} bytes]`)}\n`);
        if (typeof b["message"] === "string") io.out(`${escapeForTerminal(`[${b["message"]}]`)}\n`);
      }
    }
    for (const a of refused) io.err(`disco query: ${escapeForTerminal(describeRefusal(a))}\n`);
    for (const x of r.refusals) io.err(`disco query: ${escapeForTerminal(`${x.from}: ${x.message}`)}\n`);
    if (ok.length) return EXIT_OK;
    if (r.answers.length === 0 && r.refusals.length === 0) {
      io.err(`disco query: ${describeSilence(client, r)}\n`);
      return EXIT_FAILURE;
    }
    if (client.unicast && refused[0]) return exitForStatus(refused[0].status);
    return EXIT_FAILURE;
  },
};
