import type { Command } from "./command.ts";

/** `disco metrics`: not built yet. */
export const command: Command = {
  name: "metrics",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco metrics: not available in this build yet\n");
    return 1;
  },
};
