import type { Command } from "./command.ts";

/** `disco broadcast`: not built yet. */
export const command: Command = {
  name: "broadcast",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco broadcast: not available in this build yet\n");
    return 1;
  },
};
