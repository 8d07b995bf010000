import type { Command } from "./command.ts";

/** `disco server`: not built yet. */
export const command: Command = {
  name: "server",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco server: not available in this build yet\n");
    return 1;
  },
};
