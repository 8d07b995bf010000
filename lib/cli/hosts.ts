import type { Command } from "./command.ts";

/** `disco hosts`: not built yet. */
export const command: Command = {
  name: "hosts",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco hosts: not available in this build yet\n");
    return 1;
  },
};
