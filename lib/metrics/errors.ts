/** Errors of the metrics capability. */
import { DiscoError } from "../errors.ts";

/** Root of the metrics errors. */
export class MetricsError extends DiscoError {
  override name = "MetricsError";
}

/** A frame that is not a disco.py metric (`metric <host> <json-object>`). */
export class MetricFrameError extends MetricsError {
  override name = "MetricFrameError";
  /** Offset in the frame where the problem is. */
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(message, options);
    this.offset = offset;
  }
}

/** The publisher found no proxy to publish to. */
export class NoProxyError extends MetricsError {
  override name = "NoProxyError";
  /** The frontend endpoint it tried. */
  readonly endpoint: string;
  constructor(message: string, endpoint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = endpoint;
  }
}
