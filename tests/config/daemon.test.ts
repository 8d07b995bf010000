import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig, peekControlSocket } from "../../lib/config/index.ts";
import { problems } from "./_problems.ts";

describe("readDaemon()", () => {
  it("defaults to the systemd unit's runtime and state directories and text logs", () => {
    assert.deepEqual(parseConfig("").daemon, { controlSocket: "/run/disco/disco.sock", stateDirectory: "/var/lib/disco", logFormat: "text" });
  });

  it("reads every key", () => {
    const d = parseConfig('[daemon]\ncontrol_socket = "/tmp/d.sock"\nstate_directory = "/tmp/state"\nlog_format = "json"\n').daemon;
    assert.deepEqual(d, { controlSocket: "/tmp/d.sock", stateDirectory: "/tmp/state", logFormat: "json" });
  });

  it("refuses relative paths, a socket path over sun_path's 107 bytes, an unknown format and unknown keys", () => {
    assert.deepEqual(problems(`[daemon]\ncontrol_socket = "d.sock"\nstate_directory = "state"\nlog_format = "xml"\nbogus = 1\n`), [
      "daemon.control_socket@2",
      "daemon.state_directory@3",
      "daemon.log_format@4",
      "daemon.bogus@5",
    ]);
    assert.deepEqual(problems(`[daemon]\ncontrol_socket = "/${"x".repeat(107)}"\n`), ["daemon.control_socket@2"]);
  });
});

describe("peekControlSocket()", () => {
  it("finds the socket of a config with problems, and of one that is not TOML at all", () => {
    assert.equal(peekControlSocket('[daemon]\ncontrol_socket = "/tmp/a.sock"\n[beacon]\nbogus = 1\n'), "/tmp/a.sock");
    // A typo elsewhere makes the whole text unparsable: the line scan still finds the key in [daemon].
    assert.equal(peekControlSocket('[daemon]\ncontrol_socket = "/tmp/b.sock" # ours\n[beacon\nport = 1\n'), "/tmp/b.sock");
    assert.equal(peekControlSocket("[beacon\nport = 1\n[ daemon ]\ncontrol_socket = '/tmp/c.sock'\n"), "/tmp/c.sock");
    assert.equal(peekControlSocket('daemon.control_socket = "/tmp/d.sock"\n[beacon\n'), "/tmp/d.sock");
  });

  it("finds nothing where the key is not [daemon]'s, is relative, or follows a header it cannot read", () => {
    assert.equal(peekControlSocket('[beacon\n[other]\ncontrol_socket = "/tmp/x.sock"\n'), undefined);
    assert.equal(peekControlSocket('[daemon]\ncontrol_socket = "x.sock"\n[beacon\n'), undefined);
    assert.equal(peekControlSocket('[daemon\ncontrol_socket = "/tmp/x.sock"\n'), undefined);
    assert.equal(peekControlSocket("[daemon]\n[beacon\n"), undefined);
    assert.equal(peekControlSocket(""), undefined);
  });
});
