#!/usr/bin/python3
"""libzmq load generators for bench/zmtp-proxy.bench.ts (bounded counts; loopback endpoints given by the caller).

  bench.py pub FRONTEND COUNT SIZE     PUB connects; sends "w" warm-ups every 10 ms until stdin says "go",
                                       then COUNT messages of SIZE bytes (first byte "m") and "END" every 10 ms (200 times); prints "sent"
  bench.py sub BACKEND [TOPIC]         SUB connects (RCVHWM unlimited); prints "warm" at the first "w", then
                                       "done RECEIVED SECONDS" at "END" (or after 10 s without traffic)
  bench.py stall BACKEND               SUB connects with RCVHWM 10 and never reads; prints "ready"
"""
import os
import sys
import time

import zmq


def out(*words):
    print(*words, flush=True)


def main():
    mode, endpoint = sys.argv[1], sys.argv[2]
    ctx = zmq.Context()
    if mode == "pub":
        count, size = int(sys.argv[3]), int(sys.argv[4])
        s = ctx.socket(zmq.PUB)
        s.setsockopt(zmq.SNDHWM, 0)
        s.setsockopt(zmq.LINGER, 5000)
        s.connect(endpoint)
        out("ready")
        os.set_blocking(0, False)
        while True:
            try:
                line = os.read(0, 100)
            except BlockingIOError:
                line = b""
            if b"go" in line:
                break
            s.send(b"w")
            time.sleep(0.01)
        payload = b"m" + b"x" * (size - 1)
        send = s.send
        for _ in range(count):
            send(payload)
        # The end marker may meet a full high-water mark: repeat it (bounded, 2 s) so the subscriber sees one.
        for _ in range(200):
            send(b"END")
            time.sleep(0.01)
        out("sent")
        s.close()
        ctx.term()
        return
    s = ctx.socket(zmq.SUB)
    if mode == "stall":
        s.setsockopt(zmq.RCVHWM, 10)
        s.setsockopt(zmq.RCVBUF, 4096)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(endpoint)
        out("ready")
        sys.stdin.read()
        return
    s.setsockopt(zmq.RCVHWM, 0)
    s.setsockopt(zmq.SUBSCRIBE, sys.argv[3].encode() if len(sys.argv) > 3 else b"")
    s.connect(endpoint)
    out("ready")
    warm = False
    n = 0
    first = last = 0.0
    recv = s.recv
    while True:
        if not s.poll(10000):
            break
        m = recv()
        if m == b"w":
            if not warm:
                warm = True
                out("warm")
            continue
        if m == b"END":
            break
        if n == 0:
            first = time.perf_counter()
        n += 1
        last = time.perf_counter()
    out("done", n, f"{(last - first):.6f}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
