/* Prints what <linux/gpio.h> says on the machine it is compiled for: struct sizes, field offsets and
 * ioctl numbers, one "NAME VALUE" a line. Cross-compiled for arm64 (aarch64-linux-gnu-gcc) and run under
 * qemu-user by tests/gpio/uapi-arm64.test.ts, which compares them with what lib/gpio/uapi.ts encodes. */
#include <stdio.h>
#include <stddef.h>
#include <linux/gpio.h>

#define SZ(t) printf("sizeof(%s) %zu\n", #t, sizeof(t))
#define OFF(t, f) printf("offsetof(%s,%s) %zu\n", #t, #f, offsetof(t, f))
#define IOC(n) printf("%s %lu\n", #n, (unsigned long)(n))

int main(void) {
  SZ(struct gpiochip_info);
  SZ(struct gpio_v2_line_attribute);
  SZ(struct gpio_v2_line_config_attribute);
  SZ(struct gpio_v2_line_config);
  SZ(struct gpio_v2_line_request);
  SZ(struct gpio_v2_line_info);
  SZ(struct gpio_v2_line_values);
  SZ(struct gpio_v2_line_event);
  OFF(struct gpiochip_info, name);
  OFF(struct gpiochip_info, label);
  OFF(struct gpiochip_info, lines);
  OFF(struct gpio_v2_line_attribute, id);
  OFF(struct gpio_v2_line_attribute, flags);
  OFF(struct gpio_v2_line_attribute, values);
  OFF(struct gpio_v2_line_attribute, debounce_period_us);
  OFF(struct gpio_v2_line_config_attribute, attr);
  OFF(struct gpio_v2_line_config_attribute, mask);
  OFF(struct gpio_v2_line_config, flags);
  OFF(struct gpio_v2_line_config, num_attrs);
  OFF(struct gpio_v2_line_config, attrs);
  OFF(struct gpio_v2_line_request, offsets);
  OFF(struct gpio_v2_line_request, consumer);
  OFF(struct gpio_v2_line_request, config);
  OFF(struct gpio_v2_line_request, num_lines);
  OFF(struct gpio_v2_line_request, event_buffer_size);
  OFF(struct gpio_v2_line_request, fd);
  OFF(struct gpio_v2_line_info, name);
  OFF(struct gpio_v2_line_info, consumer);
  OFF(struct gpio_v2_line_info, offset);
  OFF(struct gpio_v2_line_info, num_attrs);
  OFF(struct gpio_v2_line_info, flags);
  OFF(struct gpio_v2_line_info, attrs);
  OFF(struct gpio_v2_line_values, bits);
  OFF(struct gpio_v2_line_values, mask);
  OFF(struct gpio_v2_line_event, timestamp_ns);
  OFF(struct gpio_v2_line_event, id);
  OFF(struct gpio_v2_line_event, offset);
  OFF(struct gpio_v2_line_event, seqno);
  OFF(struct gpio_v2_line_event, line_seqno);
  IOC(GPIO_GET_CHIPINFO_IOCTL);
  IOC(GPIO_GET_LINEINFO_UNWATCH_IOCTL);
  IOC(GPIO_V2_GET_LINEINFO_IOCTL);
  IOC(GPIO_V2_GET_LINEINFO_WATCH_IOCTL);
  IOC(GPIO_V2_GET_LINE_IOCTL);
  IOC(GPIO_V2_LINE_SET_CONFIG_IOCTL);
  IOC(GPIO_V2_LINE_GET_VALUES_IOCTL);
  IOC(GPIO_V2_LINE_SET_VALUES_IOCTL);
  return 0;
}
