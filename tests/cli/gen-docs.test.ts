import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { commandHelps, flagsOfHelp, generatedFiles } from "../../scripts/gen-docs.ts";
import { COMMANDS, TOP_HELP, UsageError, type CliIo } from "../../lib/cli/index.ts";
import { ROOT } from "../_bin.ts";

const quiet: CliIo = { out: () => undefined, err: () => undefined, env: {}, stdoutIsTTY: false };

describe("scripts/gen-docs.ts", () => {
  it("the man page and the completions on disk are what the help text generates (run 'bun scripts/gen-docs.ts')", async () => {
    for (const [path, text] of await generatedFiles()) assert.equal(readFileSync(join(ROOT, path), "utf8"), text, `${path} is out of date`);
  });

  it("the top-level help teaches 'disco --version', and the man page carries it", async () => {
    assert.match(TOP_HELP, /^ +disco --version +\S/m);
    const man = new Map(await generatedFiles()).get("docs/disco.1");
    assert.match(man ?? "", /disco --version/);
  });

  it("flagsOfHelp() reads short, long, value and description, and adds --help and --version", () => {
    const flags = flagsOfHelp("Flags:\n  -c, --config FILE   the config\n      --to ADDR[:PORT]    also here\n      --json              JSON\n");
    assert.deepEqual(flags.slice(0, 3), [
      { short: "-c", long: "--config", value: "FILE", description: "the config" },
      { long: "--to", value: "ADDR[:PORT]", description: "also here" },
      { long: "--json", description: "JSON" },
    ]);
    assert.deepEqual(flags.slice(3).map((f) => f.long), ["--help", "--version"]);
  });

  it("every flag a command's help lists is one the command accepts", async () => {
    for (const c of await commandHelps()) {
      const command = await COMMANDS.find((e) => e.name === c.name)!.load();
      for (const f of c.flags) {
        if (f.long === "--version") continue; // main.ts answers it before the command runs
        const arg = f.value ? `${f.long}=x` : f.long;
        try {
          assert.equal(await command.run([arg, "--help"], quiet, new AbortController().signal), 0, `${c.name} ${arg}`);
        } catch (err) {
          assert.fail(`disco ${c.name} --help lists ${f.long}, but ${err instanceof UsageError ? err.message : String(err)}`);
        }
      }
    }
  });

  it("the bash completion completes commands, subcommands and flags", () => {
    const complete = (words: string[]) => {
      const script = `source completions/disco.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _disco; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const p = Bun.spawnSync(["bash", "-c", script], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      assert.equal(p.exitCode, 0, p.stderr.toString());
      return p.stdout.toString().trim().split("\n");
    };
    assert.ok(complete(["disco", "ho"]).includes("hosts"));
    assert.deepEqual(complete(["disco", "gpio", ""]).slice(0, 4), ["info", "get", "set", "watch"]);
    assert.ok(complete(["disco-client", "--ti"]).includes("--timeout"));
    assert.deepEqual(complete(["disco", "config", "ch"]), ["check"]);
  });
});
