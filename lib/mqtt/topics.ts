/**
 * The bridge's topics, and ids safe for topics and Home Assistant. Host and line names come from the
 * network or the config: anything outside `[A-Za-z0-9_.-]` becomes `_` in a topic level, so a name can
 * never add a level or a wildcard. Pure.
 */

/** A topic level from any name: `/`, `+`, `#`, spaces and control characters become `_`. */
export function topicLevel(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  return s || "_";
}

/** An id for Home Assistant (`[a-zA-Z0-9_-]`). */
export function haId(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}

/** The topics of one host under a prefix. */
export interface HostTopics {
  readonly availability: string;
  gpioState(line: string): string;
  gpioSet(line: string): string;
  /** `<prefix>/<host>/gpio/+/set`: every line's command topic. */
  readonly gpioSetFilter: string;
  metric(name: string): string;
}

/** The topics of `host` under `prefix`. */
export function hostTopics(prefix: string, host: string): HostTopics {
  const base = `${prefix}/${topicLevel(host)}`;
  return {
    availability: `${base}/availability`,
    gpioState: (line) => `${base}/gpio/${topicLevel(line)}/state`,
    gpioSet: (line) => `${base}/gpio/${topicLevel(line)}/set`,
    gpioSetFilter: `${base}/gpio/+/set`,
    metric: (name) => `${base}/metrics/${topicLevel(name)}`,
  };
}

/** `<prefix>/bridge/hosts`: the retained fleet inventory. */
export function inventoryTopic(prefix: string): string {
  return `${prefix}/bridge/hosts`;
}

/** `<discovery_prefix>/device/disco_<host>/config`: one Home Assistant device config per host. */
export function deviceConfigTopic(discoveryPrefix: string, host: string): string {
  return `${discoveryPrefix}/device/disco_${haId(host)}/config`;
}

/** `<discovery_prefix>/status`: Home Assistant's birth and last will. */
export function haStatusTopic(discoveryPrefix: string): string {
  return `${discoveryPrefix}/status`;
}

/**
 * The line name of a command topic of `topics`, or undefined when the topic is not one.
 * @param lines the declared line names (matched through {@link topicLevel})
 */
export function lineOfCommandTopic(topics: HostTopics, topic: string, lines: Iterable<string>): string | undefined {
  for (const name of lines) if (topics.gpioSet(name) === topic) return name;
  return undefined;
}
