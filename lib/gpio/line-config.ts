/**
 * Pure mapping between {@link LineSettings} and the uAPI v2 flag bits (`enum gpio_v2_line_flag`).
 */
import type { Bias, Drive, Edge, LineInfo, LineSettings } from "./types.ts";
import {
  GPIO_V2_LINE_ATTR_ID_DEBOUNCE,
  GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES,
  GPIO_V2_LINE_FLAG_ACTIVE_LOW,
  GPIO_V2_LINE_FLAG_BIAS_DISABLED,
  GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
  GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
  GPIO_V2_LINE_FLAG_EDGE_FALLING,
  GPIO_V2_LINE_FLAG_EDGE_RISING,
  GPIO_V2_LINE_FLAG_INPUT,
  GPIO_V2_LINE_FLAG_OPEN_DRAIN,
  GPIO_V2_LINE_FLAG_OPEN_SOURCE,
  GPIO_V2_LINE_FLAG_OUTPUT,
  GPIO_V2_LINE_FLAG_USED,
  type LineConfigStruct,
  type LineInfoStruct,
  type LineRequestStruct,
} from "./uapi.ts";

/** The flag bits for settings (direction, active-low, bias, drive, edges). */
export function flagsForSettings(s: LineSettings): bigint {
  let f = s.direction === "output" ? GPIO_V2_LINE_FLAG_OUTPUT : GPIO_V2_LINE_FLAG_INPUT;
  if (s.activeLow) f |= GPIO_V2_LINE_FLAG_ACTIVE_LOW;
  if (s.bias === "pull-up") f |= GPIO_V2_LINE_FLAG_BIAS_PULL_UP;
  else if (s.bias === "pull-down") f |= GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN;
  else if (s.bias === "disabled") f |= GPIO_V2_LINE_FLAG_BIAS_DISABLED;
  if (s.direction === "output") {
    if (s.drive === "open-drain") f |= GPIO_V2_LINE_FLAG_OPEN_DRAIN;
    else if (s.drive === "open-source") f |= GPIO_V2_LINE_FLAG_OPEN_SOURCE;
  } else {
    if (s.edge === "rising" || s.edge === "both") f |= GPIO_V2_LINE_FLAG_EDGE_RISING;
    if (s.edge === "falling" || s.edge === "both") f |= GPIO_V2_LINE_FLAG_EDGE_FALLING;
  }
  return f;
}

/** The `gpio_v2_line_config` for one line (index 0 of its request). */
export function configForSettings(s: LineSettings): LineConfigStruct {
  const attrs: LineConfigStruct["attrs"][number][] = [];
  if (s.direction === "output") {
    attrs.push({ attr: { id: GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, values: s.initial === 1 ? 1n : 0n }, mask: 1n });
  } else if (s.debounceMs && s.edge && s.edge !== "none") {
    attrs.push({ attr: { id: GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debouncePeriodUs: Math.round(s.debounceMs * 1000) }, mask: 1n });
  }
  return { flags: flagsForSettings(s), attrs };
}

/** The `gpio_v2_line_request` for one line. */
export function requestForSettings(line: number, s: LineSettings): LineRequestStruct {
  return { offsets: [line], consumer: s.consumer ?? "disco", config: configForSettings(s) };
}

/** Describes a kernel line info as a {@link LineInfo}. */
export function describeLineInfo(chip: string, info: LineInfoStruct): LineInfo {
  const f = info.flags;
  const has = (bit: bigint) => (f & bit) !== 0n;
  const bias: Bias = has(GPIO_V2_LINE_FLAG_BIAS_PULL_UP)
    ? "pull-up"
    : has(GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN)
      ? "pull-down"
      : has(GPIO_V2_LINE_FLAG_BIAS_DISABLED)
        ? "disabled"
        : "as-is";
  const drive: Drive = has(GPIO_V2_LINE_FLAG_OPEN_DRAIN) ? "open-drain" : has(GPIO_V2_LINE_FLAG_OPEN_SOURCE) ? "open-source" : "push-pull";
  const rising = has(GPIO_V2_LINE_FLAG_EDGE_RISING);
  const falling = has(GPIO_V2_LINE_FLAG_EDGE_FALLING);
  const edge: Edge = rising && falling ? "both" : rising ? "rising" : falling ? "falling" : "none";
  let debounceUs: number | undefined;
  for (const a of info.attrs) if (a.id === GPIO_V2_LINE_ATTR_ID_DEBOUNCE) debounceUs = a.debouncePeriodUs;
  return {
    chip,
    line: info.offset,
    name: info.name,
    consumer: info.consumer,
    used: has(GPIO_V2_LINE_FLAG_USED),
    direction: has(GPIO_V2_LINE_FLAG_OUTPUT) ? "output" : "input",
    activeLow: has(GPIO_V2_LINE_FLAG_ACTIVE_LOW),
    bias,
    drive,
    edge,
    ...(debounceUs !== undefined ? { debounceUs } : {}),
  };
}
