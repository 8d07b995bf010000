import type { Command } from "./command.ts";

/** `disco run`: not built yet. */
export const command: Command = {
  name: "run",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco run: not available in this build yet\n");
    return 1;
  },
};
