/**
 * The daemon's log lines, for a person and for a machine: a level on every line, `text` or `json`, ISO
 * timestamps unless the caller turns them off (journald stamps lines itself, so the CLI turns them off when
 * `$JOURNAL_STREAM` is set). The logger only formats: where a line goes is the caller's `write`.
 */
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Structured fields appended to a line. */
export type LogFields = Readonly<Record<string, string | number | boolean>>;

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };
/** sd-daemon(3) priority prefixes: `<7>` debug, `<6>` info, `<4>` warning, `<3>` error. */
const SYSLOG_PREFIX: Readonly<Record<LogLevel, string>> = { debug: "<7>", info: "<6>", warn: "<4>", error: "<3>" };
const RESERVED = new Set(["level", "msg", "time"]);

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `text`: `TIME LEVEL message key=value`; `json`: one JSON object per line. */
  readonly format: "text" | "json";
  /** ISO-8601 UTC timestamps on every line. */
  readonly timestamps: boolean;
  /** Receives each finished line, without its trailing newline. */
  readonly write: (line: string) => void;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
  /** Lines below this level are dropped. @default "debug" */
  readonly level?: LogLevel;
  /**
   * Starts each line with its sd-daemon(3) priority (`<6>` for info ...), which journald turns into the
   * entry's priority and strips; for output that goes to the journal. @default false
   */
  readonly syslogPrefix?: boolean;
}

/** Writes log lines; see {@link createLogger}. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (its own fields win over a line's of the same name). */
  child(fields: LogFields): Logger;
}

/** `key=value`, the value quoted (JSON string syntax) when it is empty or holds spaces, quotes, `=` or controls. */
function textField(key: string, value: string | number | boolean): string {
  const s = String(value);
  return `${escapeForTerminal(key)}=${s === "" || /[\s"=\\\p{Cc}]/u.test(s) ? jsonForTerminal(s) : escapeForTerminal(s)}`;
}

/** A field whose name would replace `level`, `msg` or `time` in a JSON line gets a leading `_`. */
function fieldName(key: string): string {
  return RESERVED.has(key) ? `_${key}` : key;
}

/**
 * Creates a logger.
 *
 * Text lines are `2026-12-01T18:50:53.123Z info  message key=value` (no time when `timestamps` is false). A
 * message of several lines becomes several physical lines, each with the time and level, so `grep` and
 * journald never see a line without its level; the fields follow its last line. JSON lines are
 * `{"time":"...","level":"info","msg":"...",...fields}`, always one physical line.
 * @param options format, timestamps, where lines go
 * @returns the logger
 * @example
 * const log = createLogger({ format: "text", timestamps: !env.JOURNAL_STREAM, write: (l) => process.stderr.write(l + "\n") });
 * log.info("config reloaded", { generation: 3 });
 */
export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? (() => new Date());
  const min = RANK[options.level ?? "debug"];
  const emit = (level: LogLevel, message: string, fields: LogFields | undefined, bound: LogFields): void => {
    if (RANK[level] < min) return;
    const all: Record<string, string | number | boolean> = { ...fields, ...bound };
    const time = options.timestamps ? now().toISOString() : undefined;
    const prefix = options.syslogPrefix ? SYSLOG_PREFIX[level] : "";
    if (options.format === "json") {
      const obj: Record<string, string | number | boolean> = {};
      if (time !== undefined) obj["time"] = time;
      obj["level"] = level;
      obj["msg"] = message;
      for (const [k, v] of Object.entries(all)) obj[fieldName(k)] = typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
      options.write(prefix + jsonForTerminal(obj));
      return;
    }
    const head = `${prefix}${time !== undefined ? `${time} ` : ""}${level.padEnd(5)} `;
    const tail = Object.entries(all).map(([k, v]) => textField(k, v)).join(" ");
    const lines = message.split(/\r\n|\n|\r/);
    // Messages carry what peers sent (a ZMTP peer's reason, a hook's output): escaped, as every line for
    // people is, so a `disco run` in a terminal (or `journalctl -o cat`) cannot be rewritten by them.
    lines.forEach((l, i) => {
      const last = i === lines.length - 1;
      options.write(head + escapeForTerminal(l) + (last && tail ? `${l ? " " : ""}${tail}` : ""));
    });
  };
  const make = (bound: LogFields): Logger => ({
    debug: (m, f) => emit("debug", m, f, bound),
    info: (m, f) => emit("info", m, f, bound),
    warn: (m, f) => emit("warn", m, f, bound),
    error: (m, f) => emit("error", m, f, bound),
    child: (f) => make({ ...bound, ...f }),
  });
  return make({});
}
