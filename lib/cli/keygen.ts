import { encodeKey, generateKey } from "../crypto/index.ts";
import { parseFlags } from "./_args.ts";
import type { Command } from "./command.ts";

const HELP = `Usage: disco keygen

Prints a fresh random 32-byte key (base64) for [discovery] key / keys / key_file. A raw key skips the
slow password derivation and cannot be guessed; every device of a fleet needs the same key.

Flags:
  -v, --verbose   accepted for symmetry with the other commands (also --debug)

Examples:
  disco keygen > /etc/disco.key && chmod 600 /etc/disco.key    then: key_file = "/etc/disco.key"
  echo "key = \\"$(disco keygen)\\"" >> /etc/disco.toml         (under [discovery])

Rotation: put the new key first in 'keys' (it seals), keep the old one after it until every device has
the new one, then remove the old one.

Exit codes: 0 printed, 2 usage error.
`;

/** `disco keygen`: prints a random key. */
export const command: Command = {
  name: "keygen",
  async run(argv, io) {
    const { help } = parseFlags("keygen", argv, {});
    if (help) {
      io.out(HELP);
      return 0;
    }
    io.out(`${encodeKey(generateKey())}\n`);
    return 0;
  },
};
