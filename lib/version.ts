/** The disco version, reported by `--version`, in discovery answers and in beacons. */
export const VERSION = "0.1.0";
