/**
 * GPIO: one driver interface, two kernel drivers (the gpiochip character device through uAPI v2 ioctls via
 * bun:ffi, and sysfs), a fake for tests, PWM (software and sysfs hardware), debounce, and the declared lines
 * of a host opened by name.
 */
export type { Bias, ChipInfo, Direction, Drive, Edge, EdgeEvent, GpioDriver, LineHandle, LineInfo, LineSettings, LineValue } from "./types.ts";
export { describeSettingsProblem } from "./types.ts";
export {
  ChipNotFoundError,
  GpioError,
  GpioFrameError,
  GpioPermissionError,
  GpioValueError,
  LineBusyError,
  LineNotFoundError,
  LineReleasedError,
} from "./errors.ts";
export { CdevGpio, type CdevGpioOptions } from "./cdev.ts";
export { SysfsGpio, type SysfsGpioOptions } from "./sysfs.ts";
export { FakeGpio, type FakeChipOptions, type FakeGpioOptions } from "./fake.ts";
export { Debouncer, type LevelChange } from "./debounce.ts";
export { openHardwarePwm, startSoftPwm, type HardwarePwmOptions, type PwmOutput, type SoftPwmOptions } from "./pwm.ts";
export {
  findMissingChips,
  GpioLines,
  openLines,
  selectDriver,
  type InputChange,
  type InputSpec,
  type LinesSpec,
  type MissingChip,
  type OpenLinesOptions,
  type OutputSpec,
  type PwmSpec,
} from "./lines.ts";
export { describeGpioInterfaces, inputChangeMetric, type GpioInterface } from "./report.ts";
export { monotonicNs } from "./_clock.ts";
