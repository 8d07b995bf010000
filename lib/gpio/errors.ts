/**
 * Errors of the gpio capability. Callers branch on the class and its fields (`chip`, `line`, `errno`,
 * `consumer`), never on `message`.
 */
import { DiscoError } from "../errors.ts";

/** Base class of every gpio error. */
export class GpioError extends DiscoError {
  override name = "GpioError";
  /** The chip involved, when known (`gpiochip0`). */
  readonly chip?: string;
  /** The line offset on the chip, when known. */
  readonly line?: number;
  /** The errno name from the kernel (`EBUSY`, `EACCES`), when the error came from a system call. */
  readonly errno?: string;
  constructor(message: string, fields: { chip?: string; line?: number; errno?: string; cause?: unknown } = {}) {
    super(message, { cause: fields.cause });
    if (fields.chip !== undefined) this.chip = fields.chip;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.errno !== undefined) this.errno = fields.errno;
  }
}

/** A struct from the kernel was too short or malformed. */
export class GpioFrameError extends GpioError {
  override name = "GpioFrameError";
  /** Byte offset where decoding failed. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** The chip does not exist on this system. */
export class ChipNotFoundError extends GpioError {
  override name = "ChipNotFoundError";
  /** The chips that do exist. */
  readonly available: readonly string[];
  constructor(chip: string, available: readonly string[], fields: { cause?: unknown } = {}) {
    super(
      `GPIO chip '${chip}' not found (${available.length ? `available: ${available.join(", ")}` : "this system has no GPIO chips"})`,
      { chip, errno: "ENOENT", cause: fields.cause },
    );
    this.available = available;
  }
}

/** The line offset is beyond the chip's last line. */
export class LineNotFoundError extends GpioError {
  override name = "LineNotFoundError";
  constructor(chip: string, line: number, lines: number) {
    super(`${chip} has no line ${line} (it has lines 0..${lines - 1})`, { chip, line, errno: "EINVAL" });
  }
}

/** The line is held by another consumer. */
export class LineBusyError extends GpioError {
  override name = "LineBusyError";
  /** Who holds the line, when the kernel says (`gpioset`, `sysfs`, a driver's name). */
  readonly consumer?: string;
  constructor(chip: string, line: number, consumer: string | undefined, fields: { cause?: unknown } = {}) {
    super(
      `${chip} line ${line} is busy${consumer ? `: used by '${consumer}'` : ""} (stop that program or release the line first)`,
      { chip, line, errno: "EBUSY", cause: fields.cause },
    );
    if (consumer !== undefined) this.consumer = consumer;
  }
}

/** No permission to open the chip or the sysfs file. */
export class GpioPermissionError extends GpioError {
  override name = "GpioPermissionError";
  /** The file that could not be opened. */
  readonly path: string;
  constructor(path: string, fields: { chip?: string; line?: number; errno?: string; cause?: unknown } = {}) {
    super(
      `permission denied on ${path}: add your user to the 'gpio' group (sudo usermod -aG gpio $USER, then log in again) ` +
        `or install a udev rule such as SUBSYSTEM=="gpio", GROUP="gpio", MODE="0660"`,
      { errno: "EACCES", ...fields },
    );
    this.path = path;
  }
}

/** A value other than 0 or 1, or a setting the line or driver cannot take. */
export class GpioValueError extends GpioError {
  override name = "GpioValueError";
}

/** The handle was used after release. */
export class LineReleasedError extends GpioError {
  override name = "LineReleasedError";
  constructor(chip: string, line: number) {
    super(`${chip} line ${line} was released`, { chip, line });
  }
}

/** The errno name (`ENOENT`) of a failed node:fs call, if it has one. */
export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * A failed file operation on `path` as a gpio error: {@link GpioPermissionError} on EACCES/EPERM, else a
 * {@link GpioError} naming the path and errno.
 */
export function fileError(err: unknown, path: string, fields: { chip?: string; line?: number } = {}): GpioError {
  const errno = errnoOf(err);
  if (errno === "EACCES" || errno === "EPERM") return new GpioPermissionError(path, { ...fields, errno, cause: err });
  return new GpioError(`${path}: ${errno ?? String(err)}`, { ...fields, errno, cause: err });
}
