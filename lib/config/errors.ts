import { DiscoError } from "../errors.ts";

/** One problem found in a config: where it is and what was expected. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `discovery.port` or `gpio.output[1].line`. */
  readonly key: string;
  /** 1-based line in the file, when the key (or its table) appears in it. */
  readonly line?: number;
  /** What is wrong and what was expected. */
  readonly message: string;
}

/** A config that failed to parse or validate; carries every problem, not just the first. */
export class ConfigError extends DiscoError {
  override name = "ConfigError";
  readonly problems: readonly ConfigProblem[];
  /** The file the config came from, when it came from a file. */
  readonly file?: string;
  constructor(problems: readonly ConfigProblem[], file?: string, options?: { cause?: unknown }) {
    super(
      problems.length === 1
        ? formatProblem(problems[0]!, file)
        : `${problems.length} problems in ${file ?? "the config"}`,
      options,
    );
    this.problems = problems;
    if (file !== undefined) this.file = file;
  }

  /** Every problem, one line each: `FILE:LINE: KEY: message`. */
  format(): string {
    return this.problems.map((p) => formatProblem(p, this.file)).join("\n");
  }
}

/** Formats one problem as `FILE:LINE: KEY: message` (parts omitted when unknown). */
export function formatProblem(p: ConfigProblem, file?: string): string {
  const where = [file ?? "config", p.line !== undefined ? String(p.line) : undefined].filter((x) => x !== undefined).join(":");
  return `${where}: ${p.key ? `${p.key}: ` : ""}${p.message}`;
}
