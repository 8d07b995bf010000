/**
 * What lib/gpio/uapi.ts encodes, printed by the arm64 build of Bun under qemu-user (bundled by
 * tests/gpio/uapi-arm64.test.ts and run with `BUN_BE_BUN=1 dist/arm64/disco probe.js`): the sizes and ioctl
 * numbers the code uses, and each struct encoded with distinct sentinel values, as hex. The test reads the
 * sentinels back at the offsets the arm64 kernel header gives.
 */
import * as u from "../../../lib/gpio/uapi.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const out: Record<string, string | number> = {
  "sizeof(struct gpiochip_info)": u.GPIOCHIP_INFO_SIZE,
  "sizeof(struct gpio_v2_line_attribute)": u.GPIO_V2_LINE_ATTRIBUTE_SIZE,
  "sizeof(struct gpio_v2_line_config_attribute)": u.GPIO_V2_LINE_CONFIG_ATTRIBUTE_SIZE,
  "sizeof(struct gpio_v2_line_config)": u.GPIO_V2_LINE_CONFIG_SIZE,
  "sizeof(struct gpio_v2_line_request)": u.GPIO_V2_LINE_REQUEST_SIZE,
  "sizeof(struct gpio_v2_line_info)": u.GPIO_V2_LINE_INFO_SIZE,
  "sizeof(struct gpio_v2_line_values)": u.GPIO_V2_LINE_VALUES_SIZE,
  "sizeof(struct gpio_v2_line_event)": u.GPIO_V2_LINE_EVENT_SIZE,
  GPIO_GET_CHIPINFO_IOCTL: u.GPIO_GET_CHIPINFO_IOCTL,
  GPIO_GET_LINEINFO_UNWATCH_IOCTL: u.GPIO_GET_LINEINFO_UNWATCH_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL: u.GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_GET_LINEINFO_WATCH_IOCTL: u.GPIO_V2_GET_LINEINFO_WATCH_IOCTL,
  GPIO_V2_GET_LINE_IOCTL: u.GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_LINE_SET_CONFIG_IOCTL: u.GPIO_V2_LINE_SET_CONFIG_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL: u.GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL: u.GPIO_V2_LINE_SET_VALUES_IOCTL,
  chip: hex(u.encodeChipInfo({ name: "N", label: "L", lines: 0x0a0b0c0d })),
  request: hex(
    u.encodeLineRequest({
      offsets: [0x11, 0x12],
      consumer: "C",
      config: { flags: 0x2233n, attrs: [{ attr: { id: u.GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debouncePeriodUs: 0x4455 }, mask: 0x66n }, { attr: { id: u.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, values: 0x99n }, mask: 0xaan }, { attr: { id: u.GPIO_V2_LINE_ATTR_ID_FLAGS, flags: 0xbbn }, mask: 0xccn }] },
      eventBufferSize: 0x77,
    }),
  ),
  info: hex(u.encodeLineInfo({ name: "N", consumer: "C", offset: 0x31, flags: 0x3233n, attrs: [{ id: u.GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debouncePeriodUs: 0x3435 }] })),
  values: hex(u.encodeLineValues({ bits: 0x4142n, mask: 0x4344n })),
  event: hex(u.encodeLineEvent({ timestampNs: 0x5152535455n, id: 2, offset: 0x56, seqno: 0x57, lineSeqno: 0x58 })),
};
for (const [k, v] of Object.entries(out)) console.log(`${k} ${v}`);
console.log(`arch ${process.arch}`);
