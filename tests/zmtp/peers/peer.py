#!/usr/bin/python3
"""A libzmq peer for disco's interop tests, driven over stdin/stdout (one line per event or command).

  peer.py pub|sub|xpub|xsub bind|connect ENDPOINT [TOPIC-HEX ...]   (sub: "-" subscribes to everything;
                                                                      "hb=MS" turns on libzmq heartbeats, "hbt=MS" sets their timeout)
  peer.py proxy FRONTEND BACKEND                                     (XSUB bind FRONTEND, XPUB bind BACKEND, zmq.proxy)
  peer.py metric ENDPOINT HOST NAME VALUE                            (PUB connect; a disco.py-style metric frame,
      "metric HOST json.dumps({NAME: VALUE, "_time": time.time()})", repeated every 20 ms until stdin closes;
      prints "expect " + the line disco.py's receiver prints for it)

Prints "ready ENDPOINT..." once bound/connected, then "msg HEX,HEX,..." per message received.
Reads "send HEX,HEX", "repeat HEX,HEX" (send every 20 ms until "stop"), "stop", "quit".
"""
import os
import sys

import zmq


def out(*words):
    print(*words, flush=True)


def unhex(text):
    return [bytes.fromhex(x) for x in text.split(",")] if text else [b""]


def main():
    mode = sys.argv[1]
    ctx = zmq.Context()
    if mode == "proxy":
        xsub = ctx.socket(zmq.XSUB)
        xpub = ctx.socket(zmq.XPUB)
        for s in (xsub, xpub):
            s.setsockopt(zmq.LINGER, 0)
        xsub.bind(sys.argv[2])
        xpub.bind(sys.argv[3])
        out("ready", xsub.getsockopt(zmq.LAST_ENDPOINT).decode(), xpub.getsockopt(zmq.LAST_ENDPOINT).decode())
        zmq.proxy(xsub, xpub)
        return
    if mode == "metric":
        import json
        import time

        endpoint, host, name, value = sys.argv[2:6]
        values = {name: value, "_time": time.time()}
        s = ctx.socket(zmq.PUB)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint)
        out("expect", f"Metric(host={host} values={json.dumps(values)})")
        os.set_blocking(0, False)
        frame = f"metric {host} {json.dumps(values)}".encode()
        while True:
            try:
                if os.read(0, 100) == b"":
                    return
            except BlockingIOError:
                pass
            s.send(frame)
            time.sleep(0.02)
    kinds = {"pub": zmq.PUB, "sub": zmq.SUB, "xpub": zmq.XPUB, "xsub": zmq.XSUB}
    how, endpoint = sys.argv[2], sys.argv[3]
    s = ctx.socket(kinds[mode])
    s.setsockopt(zmq.LINGER, 0)
    for a in sys.argv[4:]:
        if a.startswith("hb="):
            # libzmq heartbeats: PING every N ms, drop the peer when nothing comes back within 3 N.
            s.setsockopt(zmq.HEARTBEAT_IVL, int(a[3:]))
            s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3 * int(a[3:]))
        elif a.startswith("hbt="):
            # ... or within this many ms (after hb=): a bound a loaded machine's scheduling cannot break.
            s.setsockopt(zmq.HEARTBEAT_TIMEOUT, int(a[4:]))
        elif mode == "sub":
            s.setsockopt(zmq.SUBSCRIBE, b"" if a == "-" else bytes.fromhex(a))
    if how == "bind":
        s.bind(endpoint)
        out("ready", s.getsockopt(zmq.LAST_ENDPOINT).decode())
    else:
        s.connect(endpoint)
        out("ready", endpoint)
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    poller.register(0, zmq.POLLIN)
    pending = b""
    repeat = None
    while True:
        events = dict(poller.poll(20 if repeat else 1000))
        while s.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            out("msg", ",".join(p.hex() for p in s.recv_multipart()))
        if 0 in events:
            chunk = os.read(0, 65536)
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                cmd, _, arg = line.decode().strip().partition(" ")
                if cmd == "send":
                    s.send_multipart(unhex(arg))
                elif cmd == "repeat":
                    repeat = unhex(arg)
                elif cmd == "stop":
                    repeat = None
                    out("stopped")
                elif cmd == "quit":
                    return
        if repeat is not None:
            s.send_multipart(repeat)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
