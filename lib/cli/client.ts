import type { Command } from "./command.ts";

/** `disco client`: not built yet. */
export const command: Command = {
  name: "client",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco client: not available in this build yet\n");
    return 1;
  },
};
