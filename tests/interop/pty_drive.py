#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""pty_drive.py - drives an interactive program in a pseudo-terminal, as a
person at a terminal would, for a bounded time (an expect-like script).

    pty_drive.py SECONDS PROMPT_RE LINE DONE_RE -- CMD [ARGS...]

Starts CMD on a new pty, waits for PROMPT_RE on its screen, types LINE and
Enter, waits for DONE_RE after that, then ends CMD (SIGTERM, then SIGKILL,
its whole process group).  Prints the transcript, then "pty_drive: ok" or
"pty_drive: timeout waiting for ..."; exits 0 only if both were seen.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def read_until(fd, pattern, deadline, buf):
    """Reads from fd into buf until pattern matches buf, or the deadline."""
    rx = re.compile(pattern.encode(), re.MULTILINE)
    while time.monotonic() < deadline:
        if rx.search(buf[0]):
            return True
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            return bool(rx.search(buf[0]))
        if not data:
            break
        buf[0] += data
    return bool(rx.search(buf[0]))


def stop(pid):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        for _ in range(20):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
            time.sleep(0.1)


def main(argv):
    if len(argv) < 6 or argv[4] != "--":
        sys.stderr.write(__doc__)
        return 2
    secs, prompt, line, done, cmd = float(argv[0]), argv[1], argv[2], argv[3], argv[5:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    deadline = time.monotonic() + secs
    buf = [b""]
    result = "ok"
    if not read_until(fd, prompt, deadline, buf):
        result = "timeout waiting for the prompt"
    else:
        mark = len(buf[0])
        os.write(fd, line.encode() + b"\r")
        after = [b""]
        ok = read_until(fd, done, deadline, after)
        buf[0] += after[0]
        if not ok:
            result = "timeout waiting for the answer"
        del mark
    stop(pid)
    sys.stdout.write(buf[0].decode(errors="replace").replace("\r", ""))
    print("\npty_drive: " + result)
    return 0 if result == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
