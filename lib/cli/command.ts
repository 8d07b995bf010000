/**
 * The contract between `main.ts` and each command in `lib/cli/`.
 *
 * A command parses its own flags, prints for humans through `io`, and returns the exit code:
 * 0 ok, 1 runtime failure, 2 usage or config error. It never calls `process.exit` itself, so tests can
 * run it in-process. Long-running commands resolve when `signal` aborts (SIGINT / SIGTERM).
 */

/** Where a command writes and what it knows of its surroundings. */
export interface CliIo {
  /** Writes to standard output, as given (add your own newline). */
  out(text: string): void;
  /** Writes to standard error, as given (add your own newline). */
  err(text: string): void;
  /** Environment variables (the only place a command may read them; `lib/` below `cli/` never does). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether standard output is a terminal (live views redraw in place only then). */
  readonly stdoutIsTTY: boolean;
  /** Terminal width in columns when known (read it again after a resize). */
  readonly columns?: number;
  /** Terminal height in rows when known (read it again after a resize). */
  readonly rows?: number;
  /**
   * Subscribes to terminal resizes (SIGWINCH for the process); returns the unsubscribe function. Absent
   * where the size cannot change (tests, pipes).
   */
  onResize?(listener: () => void): () => void;
  /** This process's id (the daemon reports it in its status). */
  readonly pid?: number;
  /**
   * Subscribes to reload requests (SIGHUP for the process); returns the unsubscribe function. Absent where
   * nothing can ask for a reload (tests).
   */
  onReload?(listener: () => void): () => void;
  /**
   * Subscribes to one of the other catchable signals (without a listener, most of them end the process
   * silently); returns the unsubscribe function. Absent in tests.
   */
  onSignal?(name: CatchableSignal, listener: () => void): () => void;
}

/** Signals a command may take over (SIGINT / SIGTERM abort the command's signal; SIGHUP is onReload). */
export type CatchableSignal = "SIGUSR1" | "SIGUSR2" | "SIGQUIT" | "SIGALRM" | "SIGPIPE" | "SIGVTALRM" | "SIGPROF";

/** One command of the multi-call binary. */
export interface Command {
  /** The word after `disco` (`server`, `client`, `broadcast`, ...). */
  readonly name: string;
  /**
   * Runs the command.
   * @param argv the arguments after the command word
   * @param io output and environment
   * @param signal aborts on SIGINT / SIGTERM
   * @returns the exit code
   * @throws {UsageError} on bad flags (main prints it and exits 2)
   * @throws {ConfigError} on a bad config (main prints every problem and exits 2)
   */
  run(argv: readonly string[], io: CliIo, signal: AbortSignal): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
