#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mkrepro.py - writes the minimal reproducers of the crash classes the live
fuzzer found on main (tests/livefuzz/repro/*.lfr), one message each (or the
few a class needs), in the format livefuzz.py saves and replays.

The peer is recorded as PEER@localhost, B as b@localhost: `livefuzz.py
replay` moves them onto the names of the run (and B's pids onto B's
creation; B's pid <0.0.0> stands for B's global locker, which B discloses
to every published peer, and <0.0.1> for B's rex).  Run from anywhere:  python3 tests/livefuzz/mkrepro.py [DIR]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from etf import Atom, Improper, Map, Pid, Ref   # noqa: E402
import gen                                        # noqa: E402
import livefuzz                                   # noqa: E402

ME = Atom("PEER@localhost")
B = Atom("b@localhost")
CRE = 0x1f01
P = Pid(ME, 77, 0, CRE)
R = Ref(ME, CRE, [1, 2, 3])
TAG = -576460752303423488
LOCKER = Pid(B, 0, 0, 0)    # replay: B's locker
REX = Pid(B, 0, 1, 0)       # replay: B's rex, once it answered a features_request


def regsend(to, pay):
    return ((6, P, Atom(""), Atom(to)), pay)


def cast(body):
    return (Atom("$gen_cast"), body)


def init_msg():
    return (Atom("locker"), Atom("no_longer_a_pid"),
            Map([((Atom("connection_id"), B), 1)]), Pid(ME, 56, 0, CRE))


# name -> (policy, description, [(class, control, payload)])
REPROS = {
    "rex_features_from": ("default",
        "rex: {From, features_request} whose From is no pid or name: rex exits "
        "(badarg in From ! ...); kernel_sup restarts it, or halts the node",
        [("rex_types",) + regsend("rex", (42, Atom("features_request")))]),
    "rex_by_pid_echo": ("default",
        "disclosure by echo: an is_auth call whose Tag holds rex's pid (the "
        "sender of rex's features_reply) makes net_kernel's answer carry it, which "
        "distguard then counts as disclosed; a send by pid to rex "
        "{{Ref, Node}, features_request} makes rex exit (badarg).  Found by "
        "the default mix (ping's Tag of any value, then a capture mutation)",
        [("rex",) + regsend("rex", (P, Atom("features_request"))),
         ("pause", 0.5, None),
         ("ping",) + regsend("net_kernel",
            (Atom("$gen_call"), (P, (REX,)), (Atom("is_auth"), ME))),
         ("pause", 0.5, None),
         ("capture", (22, Pid(ME, 55, 0, CRE), REX),
          ((R, ME), Atom("features_request")))]),
    "net_kernel_is_auth_from": ("default",
        "net_kernel: an is_auth call whose From is not {Pid, Tag}: net_kernel "
        "exits (function clause in gen_server's reply), the node halts",
        [("ping_from",) + regsend("net_kernel", (Atom("$gen_call"), 42,
                                                  (Atom("is_auth"), ME)))]),
    "global_init_connect_msg": ("default",
        "global: init_connect whose InitMsg is not {locker, ...}: "
        "global_name_server exits (badmatch), the node halts",
        [("capture_global",) + regsend("global_name_server",
            cast((Atom("init_connect"), (8, TAG), ME,
                  (Atom("code_server"), Atom("remove_connection"), Map([]), P))))]),
    "global_del_lock_types": ("default",
        "global: a del_lock call whose lock is not {ResourceId, Requesters} "
        "(found by capture_any, a captured del_lock mutated): "
        "global_name_server exits, the node halts",
        [("capture_any",) + regsend("global_name_server",
            (Atom("$gen_call"), (P, (R, B)), (Atom("del_lock"), ((),))))]),
    "global_exchange_twice": ("default",
        "global: two well-typed exchange casts in one sync (the default mix's "
        "global class, seed 4): global_name_server exits (case_clause), the node halts",
        [("global",) + regsend("global_name_server",
            cast((Atom("init_connect"), (8, TAG), ME, init_msg()))),
         ("global",) + regsend("global_name_server",
            cast((Atom("exchange"), ME, [(Atom("lf_name"), P, gen.GLOBAL_METHODS[0])], [], TAG))),
         ("global",) + regsend("global_name_server",
            cast((Atom("exchange"), ME, [(Atom("gateway"), P, gen.GLOBAL_METHODS[1])], [], TAG)))]),
    "sys_terminate_gateway": ("allow",
        "sys: {system, From, {terminate, normal}} to the allowed gen_server "
        "gateway: it stops (and sys:get_state would read its state)",
        [("sys",) + regsend("gateway", (Atom("system"), (P, Improper([Atom("alias")], R)),
                                        (Atom("terminate"), Atom("normal"))))]),
    "spawn_min_heap": ("allow",
        "spawn_request of the allowed my_api:handle/1 with {min_heap_size, 1 bsl 36}: "
        "the node cannot allocate the heap and halts",
        [("spawn_opts", (29, R, P, P, (Atom("my_api"), Atom("handle"), 1),
                         [Atom("monitor"), (Atom("min_heap_size"), 1 << 36)]),
          [(Atom("get"), Atom("ok"))])]),
    "atoms_past_window": ("default",
        "a send to a pid B disclosed, padded past the 68 KiB window, then "
        "12,000 fresh atoms: the atom budget (10,000) does not see them",
        [("atom_window", (22, P, LOCKER),
          (bytes(70 * 1024), [Atom("lfw%05d" % i) for i in range(12000)]))]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "repro")
    os.makedirs(out, exist_ok=True)
    for name, (pol, why, msgs) in REPROS.items():
        path = os.path.join(out, name + ".lfr")
        livefuzz.save_repro(path, "%s [policy %s]" % (why, pol), ME, CRE, B, msgs, 0, 0)
        print(path)


if __name__ == "__main__":
    main()
