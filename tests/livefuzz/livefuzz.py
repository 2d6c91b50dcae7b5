#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""livefuzz.py - the admitted-set live fuzzer (issue 18, item 2).

A crafted peer does a real handshake through distguard to node B and
sends, batch after batch, messages of the shapes distguard admits
(gen.py).  After each batch it makes sure B has handled the batch (an
is_auth call to net_kernel, answered), then asks the observer (lfobs.erl,
a hidden node with allow_all) to check B: alive, global_name_server,
net_kernel, rex, application_controller and code_server (and the gateway)
keep their pids, global:registered_names() answers within a second,
global_name_server answers a call, the atom count stays within its bound.
What was admitted is read from distguard's own counters (the control
socket's `stats json`), before and after.

    livefuzz.py run --port P --b NODE --cookie C --ctl SOCK
                    --b-cmd CMD --b-log FILE --obs-cmd CMD
                    [--policy default|allow] [--name PREFIX] [--seed S]
                    [--messages N] [--seconds S] [--batch K]
                    [--classes a,b,...] [--repro-dir DIR] [--shrink]
                    [--atom-slack N]
    livefuzz.py replay --port P --b NODE --cookie C --name NAME FILE
                    sends a reproducer's messages, then pings B

The harness starts B (--b-cmd, a shell command whose output goes to
--b-log and that prints "dgt ready") and the observer (--obs-cmd, which
speaks lfobs's line protocol), restarts them to shrink a failing batch
(--shrink), and stops both at the end.  It prints "# ..." progress lines
and one result line:
    livefuzz ok: admitted N of M (...)
    livefuzz FAIL: <check> ...  (reproducer: FILE)
and exits 0 / 1.
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import craft                # noqa: E402  (handshake: craft.Session)
import captures             # noqa: E402
import etf                  # noqa: E402
import gen                  # noqa: E402
from etf import Atom, Improper, Pid, Ref   # noqa: E402


def log(msg):
    print("# " + msg, flush=True)


# ---- the peer ---------------------------------------------------------------

class Peer(craft.Session):
    """A craft.Session whose reader keeps what B disclosed (bounded), and
    notices the answers to our own is_auth calls."""

    syncs = 0       # is_auth calls of the harness itself, all connections

    def __init__(self, port, name, cookie, flags, ctx):
        self.ctx = ctx
        self.answered = set()
        self.bpids = set()
        self.brefs = set()
        self.bcreation = None
        super().__init__(port, name, cookie, flags, None, read=True)

    def reader(self):
        while True:
            try:
                d = self.s.recv(1 << 20)
            except OSError:
                d = b""
            if not d:
                self.eof = True
                return
            self.buf += d
            while len(self.buf) >= 4:
                ln = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) < 4 + ln:
                    break
                fr, self.buf = self.buf[4:4 + ln], self.buf[4 + ln:]
                if ln == 0:
                    self.ticks += 1
                    continue
                self.frames += 1
                try:
                    ctl, pay = etf.message(fr)
                except (ValueError, RecursionError, struct.error, IndexError):
                    continue
                self.learn(ctl, pay)

    def learn(self, ctl, pay):
        ctx = self.ctx
        if isinstance(ctl, tuple) and len(ctl) == 3 and ctl[0] == 22 and \
                isinstance(pay, tuple) and pay and pay[0] == "features_reply" and \
                isinstance(ctl[1], Pid) and ctl[1].node == ctx.b:
            ctx.rex = ctl[1]
        for t in (ctl, pay):
            if t is None:
                continue
            for x in etf.walk(t):
                if isinstance(x, Pid) and x.node == ctx.b:
                    if x not in self.bpids and len(self.bpids) < 4096:
                        self.bpids.add(x)
                        ctx.b_pids.append(x)
                        self.bcreation = x.creation
                elif isinstance(x, Ref) and x.node == ctx.b:
                    if x not in self.brefs and len(self.brefs) < 4096:
                        self.brefs.add(x)
                        ctx.b_refs.append(x)
                elif isinstance(x, tuple) and len(x) == 4 and x[0] == "locker" \
                        and isinstance(x[3], Pid) and x[3].node == ctx.b:
                    ctx.locker = x[3]
                elif isinstance(x, tuple) and len(x) == 2 and x[1] == "yes":
                    k = x[0]
                    if isinstance(k, Improper):
                        k = k.tail
                    if isinstance(k, Ref):
                        with self.lock:
                            self.answered.add(tuple(k.words))

    def frames_of(self, ctl, pay):
        """The bytes of one message, fragmented as ERTS does."""
        data = etf.encode(ctl) + (etf.encode(pay) if pay is not None else b"")
        if not self.header:
            body = b"\x70\x83" + etf.encode(ctl) + \
                (b"\x83" + etf.encode(pay) if pay is not None else b"")
            return struct.pack(">I", len(body)) + body
        if not self.frags or len(data) <= 65536:
            body = b"\x83\x44\x00" + data
            return struct.pack(">I", len(body)) + body
        chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
        seq = int.from_bytes(os.urandom(7), "big") + 1
        total = len(chunks)
        out = [b"\x83\x45" + struct.pack(">QQ", seq, total) + b"\x00" + chunks[0]]
        for i, c in enumerate(chunks[1:]):
            out.append(b"\x83\x46" + struct.pack(">QQ", seq, total - 1 - i) + c)
        return b"".join(struct.pack(">I", len(f)) + f for f in out)

    def sync(self, secs):
        """An is_auth call to net_kernel; True once B answered it: every
        message before it has been through distguard and B."""
        Peer.syncs += 1
        ref = self.ctx.my_ref(__import__("random").Random())
        me = Pid(self.ctx.me, 77, 0, self.ctx.creation)
        msg = ((6, me, Atom(""), Atom("net_kernel")),
               (Atom("$gen_call"), (me, Improper([Atom("alias")], ref)),
                (Atom("is_auth"), self.ctx.me)))
        try:
            self.s.sendall(self.frames_of(*msg) + b"\x00\x00\x00\x00")
        except OSError:
            # the connection is gone (distguard or B closed it): say so
            # now, before the reader thread notices, or the caller takes
            # the unanswered call for a hung B
            self.eof = True
            return False
        key = tuple(ref.words)
        t0 = time.time()
        while time.time() - t0 < secs:
            with self.lock:
                if key in self.answered:
                    self.answered.discard(key)
                    return True
            if self.eof:
                return False
            time.sleep(0.005)
        return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# ---- B and the observer ------------------------------------------------------

class Node:
    """A process the harness started (B or the observer), stopped by PID."""

    def __init__(self, cmd, logf=None, stdin=False, env=None):
        self.logf = logf
        out = open(logf, "ab") if logf else subprocess.PIPE
        self.p = subprocess.Popen(["bash", "-c", "exec " + cmd], stdout=out,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  env=env, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                    self.p.wait(3)
                except (OSError, subprocess.TimeoutExpired):
                    pass


def port_please(epmd, alive):
    """B's port as distguard's epmd hands it to peers (0: unknown)."""
    try:
        s = craft.conn(epmd, timeout=5)
        n = alive.encode()
        s.sendall(struct.pack(">HB", len(n) + 1, 122) + n)
        r = craft.recv_all(s, 64)
        s.close()
    except OSError:
        return 0
    if len(r) >= 4 and r[0] == 119 and r[1] == 0:
        return struct.unpack(">H", r[2:4])[0]
    return 0


def wait_line(path, text, secs, start=0):
    t0 = time.time()
    while time.time() - t0 < secs:
        try:
            with open(path, "rb") as f:
                f.seek(start)
                if text.encode() in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


class Observer(Node):
    def __init__(self, cmd, b):
        env = dict(os.environ, LF_B=b)
        super().__init__(cmd, stdin=True, env=env)
        self.buf = b""
        self.baseline = None
        self.limit = None

    def line(self, secs):
        t0 = time.time()
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = secs - (time.time() - t0)
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if r:
                d = os.read(fd, 4096)
                if not d:
                    return None
                self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode(errors="replace").strip()

    def start(self):
        while True:
            ln = self.line(40)
            if ln is None:
                return "fail the observer gave no baseline"
            if ln.startswith("baseline "):
                _, a, lim = ln.split()
                self.baseline, self.limit = int(a), int(lim)
                return "ok"
            if ln.startswith("fail"):
                return ln

    def check(self):
        try:
            self.p.stdin.write(b"check\n")
            self.p.stdin.flush()
        except OSError:
            return "fail the observer is gone"
        ln = self.line(20)
        return ln if ln is not None else "fail the observer did not answer within 20 s"


# ---- distguard's counters ----------------------------------------------------

def dg_counts(ctl, prefix):
    """Totals over distguard's rows for peers named PREFIX*: allow, deny,
    drop, invalid, replies (the control socket's `stats json`)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(ctl)
    s.sendall(b"stats json\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    j = json.loads(data.decode())
    tot = {"allow": 0, "deny": 0, "drop": 0, "invalid": 0, "replies": 0, "types": {}}
    for row in j.get("peers", []):
        if not row["peer"].startswith(prefix) or row["direction"] != "inbound":
            continue
        tot["invalid"] += row["invalid"]
        tot["replies"] += row["replies"]
        for t, v in row["types"].items():
            for k in ("allow", "deny", "drop"):
                tot[k] += v[k]
            a = tot["types"].setdefault(t, [0, 0, 0])
            a[0] += v["allow"]
            a[1] += v["deny"]
            a[2] += v["drop"]
    return tot


def delta(a, b):
    d = {k: b[k] - a[k] for k in ("allow", "deny", "drop", "invalid", "replies")}
    d["types"] = {}
    for t, v in b["types"].items():
        o = a["types"].get(t, [0, 0, 0])
        dv = [v[i] - o[i] for i in range(3)]
        if any(dv):
            d["types"][t] = dv
    return d


# ---- reproducers ---------------------------------------------------------------

def save_repro(path, why, peer_name, creation, b, msgs, seed, batch_no):
    with open(path, "w") as f:
        f.write("# livefuzz reproducer: %s\n" % why)
        f.write("# seed %d batch %d messages %d\n" % (seed, batch_no, len(msgs)))
        f.write("# peer %s creation %d b %s\n" % (peer_name, creation, b))
        f.write("# then: livefuzz.py replay --port P --b NODE --cookie C --name NAME %s\n"
                % os.path.basename(path))
        for cls, c, p in msgs:
            if cls == "pause":
                f.write("pause %g\n" % c)
                continue
            f.write("%s %s %s\n" % (cls, etf.encode(c).hex(),
                                    etf.encode(p).hex() if p is not None else "-"))


def load_repro(path):
    hdr = {}
    msgs = []
    with open(path) as f:
        for ln in f:
            ln = ln.strip()
            if ln.startswith("# peer "):
                w = ln.split()
                hdr = {"peer": w[2], "creation": int(w[4]), "b": w[6]}
                continue
            if not ln or ln.startswith("#"):
                continue
            if ln.startswith("pause "):
                # a reproducer that needs B to answer before it goes on
                msgs.append(("pause", float(ln.split()[1]), None))
                continue
            cls, c, p = ln.split()
            ctl, _ = etf.decode(bytes.fromhex(c))
            pay = etf.decode(bytes.fromhex(p))[0] if p != "-" else None
            msgs.append((cls, ctl, pay))
    return hdr, msgs


def relocate(msgs, hdr, ctx):
    """A saved batch moved onto a new connection: the recorded peer and B
    names become the current ones; B's pids keep their numbers and take
    B's current creation, except <0.0.0>, which stands for B's locker, and
    <0.0.1>, for B's rex (once rex has answered a features_request)."""
    old_me, old_b = hdr.get("peer"), hdr.get("b")
    bcre = ctx.b_pids[0].creation if ctx.b_pids else None

    def go(x):
        if isinstance(x, Atom):
            return ctx.me if x == old_me else ctx.b if x == old_b else x
        if isinstance(x, Pid):
            if x.node == old_me:
                return Pid(ctx.me, x.id, x.serial, ctx.creation)
            if x.node == old_b:
                if x.id == 0 and x.serial == 0 and ctx.locker is not None:
                    return ctx.locker
                if x.id == 0 and x.serial == 1 and ctx.rex is not None:
                    return ctx.rex
                return Pid(ctx.b, x.id, x.serial, bcre if bcre is not None else x.creation)
            return x
        if isinstance(x, Ref):
            if x.node == old_me:
                return Ref(ctx.me, ctx.creation, x.words)
            if x.node == old_b:
                return Ref(ctx.b, bcre if bcre is not None else x.creation, x.words)
            return x
        if isinstance(x, tuple):
            return tuple(go(y) for y in x)
        if isinstance(x, list):
            return [go(y) for y in x]
        if isinstance(x, Improper):
            return Improper([go(y) for y in x.items], go(x.tail))
        if isinstance(x, etf.Map):
            return etf.Map([(go(k), go(v)) for k, v in x.pairs])
        return x
    return [(cls, c if cls == "pause" else go(c), go(p) if p is not None else None)
            for cls, c, p in msgs]


def send_msgs(peer, msgs, reloc=None):
    """Sends messages in as few writes as possible; a ("pause", secs)
    entry waits for B to answer an is_auth call, then secs more.  reloc,
    if given, moves each run of messages onto the connection just before
    it goes (so that it can use what B disclosed during a pause)."""
    seg = []
    for cls, c, p in msgs + [("pause", 0.0, None)]:
        if cls != "pause":
            seg.append((cls, c, p))
            continue
        if seg:
            if reloc:
                seg = reloc(seg)
            peer.s.sendall(b"".join(peer.frames_of(c2, p2) for _, c2, p2 in seg))
            seg = []
        if c:
            peer.sync(5)
            time.sleep(c)


# ---- the run ---------------------------------------------------------------------

F_PEER = craft.F_OTP25      # published: global talks to us


class Run:
    def __init__(self, a):
        self.a = a
        self.host = a.b.split("@", 1)[1]
        self.b = None
        self.obs = None
        self.peer = None
        self.ctx = None
        self.conn_no = 0
        self.creation = 0x1f00 + (a.seed & 0xff)

    # B, the observer and the peer
    def start_b(self):
        start = os.path.getsize(self.a.b_log) if os.path.exists(self.a.b_log) else 0
        self.b = Node(self.a.b_cmd, self.a.b_log)
        if not wait_line(self.a.b_log, "dgt ready", 60, start):
            return "fail B did not start (see %s)" % self.a.b_log
        self.obs = Observer(self.a.obs_cmd, self.a.b)
        r = self.obs.start()
        if r == "ok" and self.a.epmd:
            self.a.port = port_please(self.a.epmd, self.a.b.split("@", 1)[0])
            if not self.a.port:
                return "fail epmd does not know B"
        return r

    def stop_b(self):
        if self.peer:
            self.peer.close()
            self.peer = None
        if self.obs:
            try:
                self.obs.p.stdin.write(b"quit\n")
                self.obs.p.stdin.flush()
            except OSError:
                pass
            self.obs.stop()
            self.obs = None
        if self.b:
            self.b.stop()
            self.b = None

    def connect(self):
        """A new connection under a new name (a name per connection: B
        answers 'alive' to a name whose last connection it still holds)."""
        if self.peer:
            self.peer.close()
        self.conn_no += 1
        name = "%s%d@%s" % (self.a.name, self.conn_no, self.host)
        self.ctx = gen.Ctx(name, self.creation, self.a.b)
        for i in range(40):
            try:
                self.peer = Peer(self.a.port, name, self.a.cookie, F_PEER, self.ctx)
                break
            except (EOFError, OSError) as e:
                err = e
                time.sleep(0.25)
        else:
            raise EOFError("handshake as %s failed: %s" % (name, err))
        # global's sync: B discloses its locker in init_connect
        t0 = time.time()
        while time.time() - t0 < 3 and self.ctx.locker is None:
            time.sleep(0.02)
        self.peer.sync(10)

    def send_batch(self, msgs):
        send_msgs(self.peer, msgs)

    def judge(self, atoms_allowed):
        """After a batch: the observer's verdict, or None when all is well."""
        if not self.b.alive():
            return "B is dead (its process exited)"
        r = self.obs.check()
        if not r.startswith("ok "):
            return r[5:] if r.startswith("fail ") else r
        _, atoms, ms, q = r.split()
        atoms, ms, q = int(atoms), int(ms), int(q)
        self.last = (atoms, ms, q)
        if atoms > self.obs.baseline + atoms_allowed:
            return "atom count %d past its bound %d (baseline %d)" % (
                atoms, self.obs.baseline + atoms_allowed, self.obs.baseline)
        if atoms > self.obs.limit // 2:
            return "atom count %d past half of the table (%d)" % (atoms, self.obs.limit)
        return None

    def trial(self, msgs, hdr):
        """One shrink step: a fresh B, the messages, the checks; the
        failure or None."""
        self.stop_b()
        r = self.start_b()
        if r != "ok":
            return "could not restart B: " + r
        self.connect()
        try:
            send_msgs(self.peer, msgs, lambda seg: relocate(seg, hdr, self.ctx))
        except OSError:
            pass
        synced = self.peer.sync(5)
        time.sleep(0.5)
        r = self.judge(self.a.atom_slack)
        log("shrink step: %d message(s): %s" % (
            len(msgs), r or ("B fine" if synced else "B fine, but is_auth unanswered")))
        return r

    def shrink(self, msgs, hdr):
        """A smaller batch that still fails (delta debugging: a chunk
        alone, else the batch without a chunk; finer chunks when neither
        fails), within --shrink-trials restarts of B.  A message may need
        others before it (a pid B discloses in answer to one), hence the
        complements."""
        cur, n, trials = msgs, 2, 0
        while len(cur) > 1 and trials < self.a.shrink_trials:
            size = -(-len(cur) // n)
            chunks = [cur[i:i + size] for i in range(0, len(cur), size)]
            nxt = None
            for c in chunks:
                trials += 1
                if self.trial(c, hdr):
                    nxt, n = c, 2
                    break
                if trials >= self.a.shrink_trials:
                    break
            if nxt is None and len(chunks) > 2:
                for i in range(len(chunks)):
                    if trials >= self.a.shrink_trials:
                        break
                    comp = [m for j, c in enumerate(chunks) if j != i for m in c]
                    trials += 1
                    if self.trial(comp, hdr):
                        nxt, n = comp, max(n - 1, 2)
                        break
            if nxt is None:
                if n >= len(cur):
                    break
                n = min(len(cur), n * 2)
                continue
            cur = nxt
            log("shrunk to %d messages" % len(cur))
        return cur

    def main(self):
        a = self.a
        classes = a.classes.split(",") if a.classes else gen.DEFAULT_MIX[a.policy]
        for c in classes:
            if c not in gen.CLASSES:
                print("livefuzz FAIL: unknown class %s" % c)
                return 1
        caps = captures.load(a.captures) if "capture" in ",".join(classes) else {}
        g = gen.Generator(a.seed, classes, caps)
        prefix = a.name
        before = dg_counts(a.ctl, prefix)
        r = self.start_b()
        if r != "ok":
            print("livefuzz FAIL: %s" % r)
            return 1
        log("B %s up; baseline atom count %d (limit %d); classes %s; seed %d" % (
            a.b, self.obs.baseline, self.obs.limit, ",".join(classes), a.seed))
        self.connect()
        sent = batches = 0
        per_class = {}
        t0 = time.time()
        failure = None
        # what this connection has carried so far: a failure may need a
        # state an earlier batch made (a pid B disclosed, a name global
        # registered), so the reproducer is the connection's history
        hist = []
        hist_conn = self.conn_no
        while sent < a.messages and time.time() - t0 < a.seconds:
            n = min(a.batch, a.messages - sent)
            msgs = [g.next(self.ctx) for _ in range(n)]
            if hist_conn != self.conn_no:
                hist, hist_conn = [], self.conn_no
            hist.extend(msgs)
            del hist[:-a.history]
            try:
                self.send_batch(msgs)
            except OSError:
                pass
            sent += n
            batches += 1
            for cls, _, _ in msgs:
                per_class[cls] = per_class.get(cls, 0) + 1
            synced = self.peer.sync(10)
            # the whole run is one attacker from one address: distguard
            # bounds it by a name's budget per name it connects under,
            # and all of them by the address's share (docs/FILTER.md 12:
            # source_atoms); plus its node names and some slack
            spend = min(a.atom_budget * self.conn_no, a.source_atoms)
            failure = self.judge(spend + 2 * self.conn_no + a.atom_slack)
            if failure is None and not synced and not self.peer.eof:
                failure = "B did not answer is_auth within 10 s after the batch"
            if failure:
                break
            if self.peer.eof:
                log("connection %d closed (by distguard or B) after %d messages; reconnecting" % (
                    self.conn_no, sent))
                self.connect()
            if batches % a.report_every == 0:
                el = time.time() - t0
                log("%d messages in %d batches, %.0f/s, atoms %d, global %d ms, queue %d" % (
                    sent, batches, sent / el, self.last[0], self.last[1], self.last[2]))
        el = time.time() - t0
        try:
            after = dg_counts(a.ctl, prefix)
            syncs = Peer.syncs
            d = delta(before, after)
        except (OSError, ValueError) as e:
            d = None
            log("distguard's counters could not be read: %s" % e)
        classes_s = " ".join("%s=%d" % kv for kv in sorted(per_class.items()))
        rc = 0
        if failure:
            rc = 1
            path = os.path.join(a.repro_dir, "livefuzz-seed%d-batch%d.lfr" % (a.seed, batches))
            os.makedirs(a.repro_dir, exist_ok=True)
            batch_me = self.ctx.me      # the trials below connect under other names
            save_repro(path, failure, batch_me, self.creation, a.b, hist, a.seed, batches)
            log("batch saved: %s" % path)
            if a.shrink:
                hdr = {"peer": str(batch_me), "creation": self.creation, "b": a.b}
                small = self.shrink(hist, hdr)
                if len(small) < len(hist):
                    spath = path[:-4] + "-min.lfr"
                    save_repro(spath, failure + " (shrunk)", batch_me, self.creation, a.b,
                               small, a.seed, batches)
                    log("shrunk to %d message(s): %s" % (len(small), spath))
                    for cls, c, p in small[:3]:
                        log("  %s %r %s" % (cls, c, repr(p)[:300]))
                    path = spath
        if d:
            tys = " ".join("%s=%d/%d/%d" % (t, *v) for t, v in sorted(d["types"].items()))
            # the harness's own is_auth calls are admitted reg_sends too
            adm = max(0, d["allow"] - syncs)
            counts = "admitted %d of %d (denied %d, dropped %d, invalid %d; by type allow/deny/drop %s, " \
                "with the harness's %d is_auth calls)" % (
                    adm, sent, d["deny"], d["drop"], d["invalid"], tys, syncs)
        else:
            counts = "admitted ? of %d" % sent
        info = "%s in %.1f s (%.0f msg/s), %d batches, %d connection(s); classes %s" % (
            counts, el, sent / max(el, 0.001), batches, self.conn_no, classes_s)
        if failure:
            print("livefuzz FAIL: %s; %s (reproducer: %s)" % (failure, info, path))
        else:
            print("livefuzz ok: %s" % info)
        sys.stdout.flush()
        return rc


def cmd_repro(a):
    """Each reproducer against a fresh B: prints one line per file,
    "repro NAME: reproduces: <failure>" or "repro NAME: B fine"."""
    a.seed = 0
    a.repro_dir = "."
    bad = 0
    for path in a.files:
        hdr, msgs = load_repro(path)
        with open(path) as f:
            head = f.readline()
        a.name = a.allow_name if "[policy allow]" in head else a.default_name
        run = Run(a)
        try:
            r = run.trial(msgs, hdr)
        except (EOFError, OSError) as e:
            r = "harness: %s" % e
        finally:
            run.stop_b()
        name = os.path.basename(path)[:-4]
        print("repro %s: %s" % (name, "reproduces: " + r if r else "B fine"), flush=True)
        bad += r is not None
    return 1 if bad and a.expect_fine else 0


def cmd_replay(a):
    hdr, msgs = load_repro(a.file)
    if a.epmd:
        a.port = port_please(a.epmd, a.b.split("@", 1)[0])
    host = a.b.split("@", 1)[1]
    ctx = gen.Ctx("%s@%s" % (a.name, host), hdr.get("creation", 0x1f00), a.b)
    p = Peer(a.port, str(ctx.me), a.cookie, F_PEER, ctx)
    t0 = time.time()
    while time.time() - t0 < 3 and ctx.locker is None:
        time.sleep(0.02)
    try:
        send_msgs(p, msgs, lambda seg: relocate(seg, hdr, ctx))
    except OSError as e:
        print("replay send: %s" % e)
    ok = p.sync(float(a.wait))
    print("replay sent %d message(s); B %s" % (len(msgs), "answered" if ok else "did not answer"))
    return 0


def main():
    # nested terms of the generator (1,000 deep at most) are walked and
    # re-encoded recursively when a batch is saved, loaded or relocated
    sys.setrecursionlimit(20000)
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, default=0)
    r.add_argument("--epmd", type=int, default=0,
                   help="distguard's epmd port: B's listener is asked for there")
    r.add_argument("--b", required=True)
    r.add_argument("--cookie", required=True)
    r.add_argument("--ctl", required=True)
    r.add_argument("--b-cmd", required=True)
    r.add_argument("--b-log", required=True)
    r.add_argument("--obs-cmd", required=True)
    r.add_argument("--policy", default="default", choices=("default", "allow"))
    r.add_argument("--name", default="fz")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--messages", type=int, default=10000)
    r.add_argument("--seconds", type=float, default=60)
    r.add_argument("--batch", type=int, default=500)
    r.add_argument("--classes", default="")
    r.add_argument("--captures", default=os.path.join(HERE, "..", "vectors", "captures"))
    r.add_argument("--repro-dir", default=".")
    r.add_argument("--shrink", action="store_true")
    r.add_argument("--history", type=int, default=20000,
                   help="messages of the failing connection kept for the reproducer")
    r.add_argument("--shrink-trials", type=int, default=40,
                   help="restarts of B a shrink may take")
    r.add_argument("--atom-slack", type=int, default=2000)
    r.add_argument("--source-atoms", type=int, default=50000,
                   help="atoms one source address may cost B (distguard's default source_atoms)")
    r.add_argument("--atom-budget", type=int, default=10000,
                   help="atoms the run may cost B (distguard's default budget of one peer name)")
    r.add_argument("--report-every", type=int, default=20)
    q = sub.add_parser("repro")
    for o in ("--b", "--cookie", "--b-cmd", "--b-log", "--obs-cmd"):
        q.add_argument(o, required=True)
    q.add_argument("--port", type=int, default=0)
    q.add_argument("--epmd", type=int, default=0)
    q.add_argument("--ctl", default="")
    q.add_argument("--default-name", default="fzr")
    q.add_argument("--allow-name", default="alr")
    q.add_argument("--atom-slack", type=int, default=2000)
    q.add_argument("--shrink", action="store_true")
    q.add_argument("--expect-fine", action="store_true",
                   help="exit 1 when a reproducer still reproduces")
    q.add_argument("files", nargs="+")
    p = sub.add_parser("replay")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--epmd", type=int, default=0)
    p.add_argument("--b", required=True)
    p.add_argument("--cookie", required=True)
    p.add_argument("--name", default="rp")
    p.add_argument("--wait", default="5")
    p.add_argument("file")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    if a.cmd == "replay":
        return cmd_replay(a)
    if a.cmd == "repro":
        return cmd_repro(a)
    run = Run(a)
    try:
        return run.main()
    finally:
        run.stop_b()


if __name__ == "__main__":
    sys.exit(main())
