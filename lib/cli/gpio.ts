import type { Command } from "./command.ts";

/** `disco gpio`: not built yet. */
export const command: Command = {
  name: "gpio",
  summary: "not built yet",
  async run(_argv, io) {
    io.err("disco gpio: not available in this build yet\n");
    return 1;
  },
};
