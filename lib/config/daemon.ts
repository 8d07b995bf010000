import { parse } from "smol-toml";
import type { Section } from "./_schema.ts";

/** `[daemon]`: how `disco run` talks to the system (control socket, state, logs). */
export interface DaemonConfig {
  /** The unix socket `disco status`, `disco reload` and `disco hosts` ask (mode 0660). @default "/run/disco/disco.sock" */
  readonly controlSocket: string;
  /** Where the daemon keeps what must survive a restart (the beacon identity). @default "/var/lib/disco" */
  readonly stateDirectory: string;
  /** Log lines for people ("text") or one JSON object per line ("json"). @default "text" */
  readonly logFormat: "text" | "json";
}

/** The socket path a client uses when neither `-c` nor `--socket` says otherwise. */
export const DEFAULT_CONTROL_SOCKET = "/run/disco/disco.sock";

// sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;

/** Reads and validates `[daemon]`. */
export function readDaemon(s: Section): DaemonConfig {
  const absolute = { pattern: /^\//, patternText: "an absolute path" };
  let controlSocket = s.string("control_socket", { default: DEFAULT_CONTROL_SOCKET, ...absolute });
  if (new TextEncoder().encode(controlSocket).length > MAX_SOCKET_PATH_BYTES) {
    s.problem("control_socket", `a unix socket path must be at most ${MAX_SOCKET_PATH_BYTES} bytes, got ${controlSocket.length}`);
    controlSocket = DEFAULT_CONTROL_SOCKET;
  }
  const stateDirectory = s.string("state_directory", { default: "/var/lib/disco", ...absolute });
  const logFormat = s.string("log_format", { default: "text", oneOf: ["text", "json"] }) as "text" | "json";
  s.done();
  return { controlSocket, stateDirectory, logFormat };
}

/**
 * The `[daemon] control_socket` of a config text that may have other problems (so `disco reload -c FILE`
 * still finds the daemon to tell it the file is broken). Reads nothing else and validates nothing else.
 * A text that is not TOML at all (the most common broken reload: a typo in some other section) is scanned
 * line by line for the key in its `[daemon]` table (or as `daemon.control_socket` before any table).
 * @returns the path, or undefined when the text has none
 */
export function peekControlSocket(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch {
    return scanControlSocket(text);
  }
  const daemon = (parsed as Record<string, unknown>)["daemon"];
  const path = typeof daemon === "object" && daemon !== null ? (daemon as Record<string, unknown>)["control_socket"] : undefined;
  return typeof path === "string" && path.startsWith("/") ? path : undefined;
}

// One line `key = "basic"` or `key = 'literal'`, with an optional comment; escapes in a basic string are
// not needed for a path and make the line not match (the scan then finds nothing rather than a wrong path).
const SOCKET_LINE = /^\s*(daemon\s*\.\s*)?control_socket\s*=\s*(?:"([^"\\]*)"|'([^']*)')\s*(#.*)?$/;
const TABLE_LINE = /^\s*\[\s*([A-Za-z0-9_.\s-]+?)\s*\]\s*(#.*)?$/;

function scanControlSocket(text: string): string | undefined {
  let table: string | undefined = "";
  for (const line of text.split(/\r?\n/)) {
    const t = TABLE_LINE.exec(line);
    if (t) {
      table = t[1]!.replace(/\s+/g, "");
      continue;
    }
    // A table header that does not parse (`[daemon`): nothing after it can be placed.
    if (/^\s*\[/.test(line)) table = undefined;
    const m = SOCKET_LINE.exec(line);
    if (!m || table === undefined) continue;
    const dotted = m[1] !== undefined;
    if ((dotted && table === "") || (!dotted && table === "daemon")) {
      const path = m[2] ?? m[3]!;
      return path.startsWith("/") ? path : undefined;
    }
  }
  return undefined;
}
