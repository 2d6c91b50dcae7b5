# SPDX-License-Identifier: Apache-2.0
"""gen.py - the live fuzzer's message generator.

Makes messages of the shapes distguard admits (docs/FILTER.md section 7:
the profiles ping, global, replies; and an allow-list naming `gateway`
and my_api:handle/1), each as (class, control term, payload term or
None).  Two sources:

  - mutations of the captured legitimate traffic (captures.py): each
    message an OTP 25 node sent, moved onto this peer's identity and B's
    disclosed pids, with one to three subterms changed;
  - type-directed variants of each admitted shape: every field filled
    with a value of its type or, in the *_types classes, with a value of
    any type (wrong types and arities, huge and empty values, foreign
    pids and refs, atoms, improper lists, nested terms).

A class is a name a run can include or leave out (LIVEFUZZ_CLASSES).
CLASSES lists them with the profile that admits them; KNOWN_CRASHERS are
the ones that halt or hang an OTP node behind distguard as it is on main
(issue 18): they are left out of the default mix so that a run of the
rest means something, and each is one knob away.

Everything is drawn from one random.Random(seed): the same seed and the
same disclosures give the same messages.
"""
import random

from etf import Atom, Improper, Map, Pid, Raw, Ref, Str, BitBin, walk

# class -> (policy it is meant for, what it is)
CLASSES = {
    "capture":      ("default", "captured OTP 25 messages to net_kernel, rex and B's pids, one to three subterms mutated within their type"),
    "capture_global": ("default", "captured OTP 25 messages to global_name_server, mutated within their type"),
    "capture_any":  ("default", "captured OTP 25 messages, subterms replaced by values of any type"),
    "ping":         ("default", "net_kernel is_auth call (any argument) and net_kernel monitors"),
    "ping_from":    ("default", "net_kernel is_auth call whose From is not {Pid, Tag}"),
    "ping_echo":    ("default", "net_kernel is_auth call whose Tag holds B's pids: the answer echoes them"),
    "global":       ("default", "global's protocol messages, fields as OTP 25 fills them, values varied"),
    "global_values": ("default", "global's protocol messages, well typed, other protocol versions and tags"),
    "global_repeat": ("default", "global's sync messages (init_connect, exchange, resolved) more than once a connection"),
    "global_types": ("default", "global's protocol messages with fields of the wrong type or arity"),
    "global_locks": ("default", "global's set_lock / lock_set / lost_connection about other nodes"),
    "replies":      ("default", "sends, alias sends and monitors to pids and aliases B disclosed"),
    "rex":          ("default", "rex features_request from one of our pids, extra elements varied"),
    "rex_types":    ("default", "rex features_request whose From is not a pid"),
    "gateway":      ("allow",   "any term to the allowed name gateway (a gen_server)"),
    "sys":          ("allow",   "OTP's sys protocol {system, From, Req} to the allowed gen_server"),
    "my_api":       ("allow",   "spawn_request of the allowed my_api:handle/1, any argument"),
    "spawn_opts":   ("allow",   "spawn_request of my_api:handle/1 with heap, priority and other options"),
    "atom_window":  ("default", "a send to a disclosed pid padded past the 68 KiB window, then fresh atoms"),
}

# Classes left out of the default mix: those that crash, stop or exhaust B
# through distguard on main (docs/SECURITY.md section 7 lists each with its
# reproducer), and global_values and global_locks, which aim at the same
# holes (issue 18, item 1) though short runs of them found no crash of
# their own.
KNOWN_CRASHERS = ()

# Every class: the fixes of issue 18 (and the hang of global's own
# processes, docs/SECURITY.md 7) left no crasher out.
DEFAULT_MIX = {
    "default": [c for c, (pol, _) in CLASSES.items() if pol == "default"],
    "allow": [c for c, (pol, _) in CLASSES.items() if pol == "allow"],
}

# Atoms every OTP node has: a value pool that costs B no atom.
COMMON_ATOMS = ["ok", "error", "true", "false", "undefined", "normal", "infinity",
                "global", "net_kernel", "rex", "init", "code_server", "erlang", "lists",
                "node", "self", "monitor", "link", "alias", "call", "cast", "noproc",
                "global_name_server", "application_controller", "kernel", "user", "", "badarg",
                "$gen_call", "$gen_cast", "system", "nodedown", "nodeup", "EXIT", "DOWN",
                "features_request", "features_reply", "erpc", "is_auth", "yes", "no",
                "exchange", "resolved", "init_connect", "lock_set", "set_lock", "del_lock",
                "register", "unregister", "locker", "no_longer_a_pid", "connection_id",
                "unused", "in_sync", "new_nodes", "cancel_connect", "remove_connection",
                "lost_connection", "init_connect_ack", "random_exit_name",
                "random_notify_name", "notify_all_name", "gateway", "my_api", "handle"]

# Node names of no node here: foreign pids and refs.  A handful only, so
# that they cost B a bounded number of atoms; all on localhost, since B
# may try to reach the node of a pid it is handed (a name lookup of any
# other host could leave the machine).
FOREIGN_NODES = ["lf_foreign@localhost", "lf_third@localhost"]


def export_fun(m, f, a):
    """fun M:F/A (EXPORT_EXT)."""
    def at(x):
        b = x.encode()
        return bytes((119, len(b))) + b
    return Raw(b"\x71" + at(m) + at(f) + bytes((97, a)))


GLOBAL_METHODS = [export_fun("global", n, 3)
                  for n in ("random_exit_name", "random_notify_name", "notify_all_name")]


class Ctx:
    """What the generator knows of the connection: who we are, who B is,
    and what B disclosed to us (kept by the harness from B's frames)."""

    def __init__(self, me, creation, b):
        self.me = Atom(me)
        self.creation = creation
        self.b = Atom(b)
        self.b_pids = []        # B's pids seen in its frames, oldest first
        self.b_refs = []        # B's references (aliases among them)
        self.locker = None      # B's locker, from its init_connect
        self.rex = None         # B's rex: the sender of its features_reply
        self.fresh = 0          # fresh atoms minted so far
        self.synced = set()     # global's sync messages sent on this connection

    def my_pid(self, r):
        return Pid(self.me, r.choice((77, 78, 79, 80, 4242)), 0, self.creation)

    def my_ref(self, r):
        return Ref(self.me, self.creation,
                   [r.getrandbits(18), r.getrandbits(32), r.getrandbits(32)])

    # Two draws whatever B disclosed so far: the stream of choices stays
    # the seed's alone (only the pid picked depends on the run).
    def b_pid(self, r):
        x, y = r.random(), r.random()
        pool = self.b_pids[-64:]
        if pool and x < 0.9:
            return pool[int(y * len(pool))]
        return self.locker or Pid(self.b, 0, 0, 0)

    def b_ref(self, r):
        y = r.random()
        pool = self.b_refs[-64:]
        if pool:
            return pool[int(y * len(pool))]
        return Ref(self.b, 0, [1, 2, 3])


# ---- values ---------------------------------------------------------------

def atom(r, ctx):
    x = r.random()
    if x < 0.8:
        return Atom(r.choice(COMMON_ATOMS))
    if x < 0.9:
        return ctx.me
    return ctx.b


def typed_int(r):
    return r.choice((0, 1, -1, 8, 255, 256, 1 << 27, -(1 << 31), (1 << 31) - 1,
                     1 << 59, -576460752303423488, 1 << 64, -(1 << 200),
                     r.getrandbits(16), r.getrandbits(64)))


def any_value(r, ctx, depth=0):
    """A value of any type; shallow, bounded in size (under 64 KiB)."""
    k = r.randrange(26 if depth < 3 else 16)
    if k == 0:
        return typed_int(r)
    if k == 1:
        return r.choice((0.0, -1.5, 1e308, 3.14))
    if k == 2:
        return atom(r, ctx)
    if k == 3:
        return Atom(r.choice(FOREIGN_NODES))
    if k == 4:
        return r.choice((b"", b"x", bytes(r.randrange(1, 64))))
    if k == 5:
        return bytes(r.choice((1000, 30000, 60000)))
    if k == 6:
        return BitBin(b"\xff\x80", 3)
    if k == 7:
        return Str(b"hello")
    if k == 8:
        return []
    if k == 9:
        return ctx.my_pid(r)
    if k == 10:
        return Pid(Atom(r.choice(FOREIGN_NODES)), r.randrange(1000), 0, r.getrandbits(32))
    if k == 11:
        return ctx.b_pid(r)
    if k == 12:
        return ctx.my_ref(r)
    if k == 13:
        return Ref(Atom(r.choice(FOREIGN_NODES)), 1, [1, 2, 3])
    if k == 14:
        return ctx.b_ref(r)
    if k == 15:
        return ()
    if k == 16:
        return tuple(any_value(r, ctx, depth + 1) for _ in range(r.randrange(1, 6)))
    if k == 17:
        return [any_value(r, ctx, depth + 1) for _ in range(r.randrange(1, 6))]
    if k == 18:
        return Improper([any_value(r, ctx, depth + 1)], any_value(r, ctx, depth + 1))
    if k == 19:
        return nested(r.choice((10, 100, 1000)), r.choice(("list", "tuple")))
    if k == 20:
        return Map([(any_value(r, ctx, depth + 1), any_value(r, ctx, depth + 1))
                    for _ in range(r.randrange(0, 3))])
    if k == 21:
        return [typed_int(r) for _ in range(r.choice((100, 2000)))]
    if k == 22:
        return tuple(Atom("ok") for _ in range(r.choice((0, 300, 5000))))
    if k == 23:
        return Improper([], typed_int(r)) if r.random() < 0.5 else Improper([1, 2], Atom("x"))
    if k == 24:
        return (ctx.me, ctx.b)
    return export_fun("erlang", "node", 0)


def nested(depth, kind):
    t = []
    for _ in range(depth):
        t = [t] if kind == "list" else (t,)
    return t


# ---- mutation of a captured term -------------------------------------------

def subterm_paths(t, limit=200):
    """Paths (lists of indexes) to the subterms of t, breadth first."""
    out = [[]]
    q = [([], t)]
    while q and len(out) < limit:
        path, x = q.pop(0)
        kids = []
        if isinstance(x, tuple) or isinstance(x, list):
            kids = list(enumerate(x))
        elif isinstance(x, Improper):
            kids = list(enumerate(x.items)) + [(len(x.items), x.tail)]
        elif isinstance(x, Map):
            kids = [(i, v) for i, (_, v) in enumerate(x.pairs)]
        for i, k in kids[:50]:
            out.append(path + [i])
            q.append((path + [i], k))
    return out


def get_at(t, path):
    for i in path:
        if isinstance(t, Improper):
            t = t.items[i] if i < len(t.items) else t.tail
        elif isinstance(t, Map):
            t = t.pairs[i][1]
        else:
            t = t[i]
    return t


def set_at(t, path, v):
    if not path:
        return v
    i, rest = path[0], path[1:]
    if isinstance(t, tuple):
        return t[:i] + (set_at(t[i], rest, v),) + t[i + 1:]
    if isinstance(t, list):
        return t[:i] + [set_at(t[i], rest, v)] + t[i + 1:]
    if isinstance(t, Improper):
        if i < len(t.items):
            items = t.items[:i] + [set_at(t.items[i], rest, v)] + t.items[i + 1:]
            return Improper(items, t.tail)
        return Improper(t.items, set_at(t.tail, rest, v))
    if isinstance(t, Map):
        k, old = t.pairs[i]
        return Map(t.pairs[:i] + [(k, set_at(old, rest, v))] + t.pairs[i + 1:])
    return t


def same_type_variant(r, ctx, x):
    """A different value of x's type (or x's shape, for containers)."""
    if isinstance(x, Atom):
        return atom(r, ctx)
    if isinstance(x, bool):
        return not x
    if isinstance(x, int):
        return typed_int(r)
    if isinstance(x, float):
        return r.choice((0.0, -1.0, 1e300))
    if isinstance(x, Pid):
        return r.choice((ctx.my_pid(r), ctx.b_pid(r),
                         Pid(Atom(r.choice(FOREIGN_NODES)), 5, 0, 1)))
    if isinstance(x, Ref):
        return r.choice((ctx.my_ref(r), ctx.b_ref(r), Ref(Atom(FOREIGN_NODES[0]), 1, [7, 7, 7])))
    if isinstance(x, (bytes, Str)):
        return type(x)(r.choice((b"", b"a" * 10, b"z" * 40000)))
    if isinstance(x, tuple):
        if not x:
            return x
        i = r.randrange(len(x))
        return x[:i] + (same_type_variant(r, ctx, x[i]),) + x[i + 1:]
    if isinstance(x, list):
        c = r.randrange(4)
        if c == 0 or not x:
            return []
        if c == 1:
            return x * r.choice((2, 50))
        if c == 2:
            return list(reversed(x))
        return x + [same_type_variant(r, ctx, r.choice(x))]
    if isinstance(x, Map):
        return Map([]) if r.random() < 0.5 else Map(x.pairs + x.pairs[:1])
    return x


def localise(t, ctx, r):
    """A captured term moved onto this connection: a@localhost is us,
    b@localhost is B; B's pids become pids B disclosed to us."""
    def go(x):
        if isinstance(x, Atom):
            if x == "a@localhost":
                return ctx.me
            if x == "b@localhost":
                return ctx.b
            return x
        if isinstance(x, Pid):
            if x.node == "a@localhost":
                return Pid(ctx.me, x.id, x.serial, ctx.creation)
            if x.node == "b@localhost":
                return ctx.b_pid(r)
            return x
        if isinstance(x, Ref):
            if x.node == "a@localhost":
                return Ref(ctx.me, ctx.creation, x.words)
            if x.node == "b@localhost":
                return ctx.b_ref(r)
            return x
        if isinstance(x, tuple):
            return tuple(go(y) for y in x)
        if isinstance(x, list):
            return [go(y) for y in x]
        if isinstance(x, Improper):
            return Improper([go(y) for y in x.items], go(x.tail))
        if isinstance(x, Map):
            return Map([(go(k), go(v)) for k, v in x.pairs])
        return x
    return go(t)


# Control fields that say who sends to whom: mutating them only makes the
# message undecidable or spoofed (distguard drops those, as it should), so
# capture mutations keep them and change the payload; the type-directed
# classes vary what a control message itself carries.
def mutate_capture(r, ctx, ctl, pay, any_type):
    ctl = localise(ctl, ctx, r)
    pay = localise(pay, ctx, r) if pay is not None else None
    if pay is None:
        # MONITOR_P / DEMONITOR_P: vary the reference only
        if isinstance(ctl, tuple) and len(ctl) == 4 and ctl[0] in (19, 20):
            ctl = ctl[:3] + (ctx.my_ref(r),)
        return ctl, pay
    paths = subterm_paths(pay)
    for _ in range(r.randrange(1, 4)):
        p = r.choice(paths[1:] if len(paths) > 1 else paths)
        try:
            old = get_at(pay, p)
        except (IndexError, TypeError):
            continue
        new = any_value(r, ctx) if any_type else same_type_variant(r, ctx, old)
        pay = set_at(pay, p, new)
        paths = subterm_paths(pay)
    return ctl, pay


# ---- the admitted shapes, type-directed ---------------------------------------

def reg_send(ctx, r, to, pay):
    return (6, ctx.my_pid(r), Atom(""), Atom(to)), pay


def holds_b(t, ctx):
    return any(isinstance(x, (Pid, Ref)) and x.node == ctx.b for x in walk(t))


def gen_ping(r, ctx, wild=False, echo=False):
    k = r.randrange(4)
    if k == 0:
        return (19, ctx.my_pid(r), Atom("net_kernel"), ctx.my_ref(r)), None
    if k == 1:
        return (20, ctx.my_pid(r), Atom("net_kernel"), ctx.my_ref(r)), None
    frm = ctx.my_pid(r)
    tag = r.choice((Improper([Atom("alias")], ctx.my_ref(r)), ctx.my_ref(r),
                    any_value(r, ctx)))
    # net_kernel's answer carries the Tag back, and distguard counts every
    # pid of B in an answer as disclosed: a Tag holding B's pids launders
    # them into sendable ones (class ping_echo; on main it lets a send by
    # pid reach rex, which a malformed features_request stops)
    if echo:
        tag = (ctx.b_pid(r), tag)
    elif holds_b(tag, ctx):
        tag = Atom("lf_tag")
    node = r.choice((ctx.me, ctx.b, any_value(r, ctx)))
    from_t = (frm, tag)
    if wild:
        # gen_server:reply/2 in net_kernel's answer takes From apart
        from_t = r.choice(((any_value(r, ctx), tag), (frm,), (frm, tag, tag),
                           any_value(r, ctx)))
    return reg_send(ctx, r, "net_kernel",
                    (Atom("$gen_call"), from_t, (Atom("is_auth"), node)))


def g_tag(r):
    return r.choice((-576460752303423488, typed_int(r)))


def g_node_list(r, ctx):
    return r.choice(([], [ctx.me], [ctx.b], [ctx.me, ctx.b]))


def g_name(r, ctx):
    return Atom(r.choice(("lf_name", "gateway", "global", "rex", "")))


def g_names(r, ctx):
    n = r.choice((0, 1, 2, 20))
    return [(g_name(r, ctx), r.choice((ctx.my_pid(r), ctx.b_pid(r))), r.choice(GLOBAL_METHODS))
            for _ in range(n)]


def g_lock(r, ctx):
    return (Atom("global"), r.choice(([ctx.my_pid(r)], [ctx.my_pid(r), ctx.b_pid(r)])))


def global_msg(r, ctx, k, wild=False):
    """One of global's messages, well typed; k picks which.  Not wild: the
    protocol version and tags OTP 25 sends; wild: others of their type."""
    me = ctx.me
    cast = lambda body: (Atom("$gen_cast"), body)
    call = lambda body: (Atom("$gen_call"), (ctx.my_pid(r), (ctx.my_ref(r), ctx.b)), body)
    tag = g_tag(r) if wild else -576460752303423488
    if k == 0:
        init = (Atom("locker"), Atom("no_longer_a_pid"),
                Map([((Atom("connection_id"), ctx.b), r.getrandbits(24))]), ctx.my_pid(r))
        vsn = r.choice((8, 7, 6, 5, 0, 1 << 40)) if wild else 8
        return cast((Atom("init_connect"), (vsn, tag), me, init))
    if k == 1:
        return cast((Atom("exchange"), me, g_names(r, ctx), r.choice(([], g_names(r, ctx))), tag))
    if k == 2:
        return cast((Atom("resolved"), me, g_names(r, ctx), g_node_list(r, ctx), Atom("unused"),
                     [], tag))
    if k == 3:
        return cast((Atom("new_nodes"), me, [], [], g_node_list(r, ctx), r.choice(([], Map([])))))
    if k == 4:
        return cast((Atom("in_sync"), me, r.choice((Atom("true"), Atom("false")))))
    if k == 5:
        return cast((Atom("lock_set"), ctx.my_pid(r), r.choice((Atom("true"), Atom("false"))),
                     g_node_list(r, ctx), tag))
    if k == 6:
        return cast((Atom("async_del_name"), g_name(r, ctx), ctx.my_pid(r)))
    if k == 7:
        return call((Atom("register"), g_name(r, ctx), ctx.my_pid(r), r.choice(GLOBAL_METHODS)))
    if k == 8:
        return call((Atom("register_ext"), g_name(r, ctx), ctx.my_pid(r),
                     r.choice(GLOBAL_METHODS), me))
    if k == 9:
        return call((Atom("unregister"), g_name(r, ctx)))
    if k == 10:
        return (Atom("init_connect_ack"), me, tag, tag)
    if k == 11:
        return (Atom("cancel_connect"), me, tag)
    if k == 12:
        return (Atom("remove_connection"), me)
    if k == 13:
        return cast((Atom("async_del_lock"), ctx.my_ref(r), ctx.my_pid(r)))
    raise ValueError(k)


N_GLOBAL = 14


def gen_global(r, ctx, wild=False, repeat=False):
    k = r.randrange(N_GLOBAL + 4)
    # cancel_connect and remove_connection make B's global drop the
    # connection (and the rest of the batch with it): now and then only
    while k in (11, 12) and r.random() < 0.9:
        k = r.randrange(N_GLOBAL + 4)
    # init_connect, exchange and resolved once per connection, as global
    # sends them (a second exchange in one sync halts OTP 25 and 27 on
    # main: class global_repeat); later picks become new_nodes, in_sync,
    # lock_set - a mapping, not a new draw, so the seed's stream holds
    if k in (0, 1, 2):
        if k in ctx.synced and not repeat:
            k += 3
        ctx.synced.add(k)
    if k == N_GLOBAL:
        return (19, ctx.my_pid(r), Atom("global_name_server"), ctx.my_ref(r)), None
    if k == N_GLOBAL + 1:
        return (20, ctx.my_pid(r), Atom("global_name_server"), ctx.my_ref(r)), None
    if k == N_GLOBAL + 2:
        # the locker's answer to B's lock request: {{Ref, Node}, true}
        return (22, ctx.my_pid(r), ctx.locker or ctx.b_pid(r)), \
            ((ctx.b_ref(r), ctx.me), r.choice((Atom("true"), Atom("false"))))
    if k == N_GLOBAL + 3:
        return (19, ctx.my_pid(r), ctx.locker or ctx.b_pid(r), ctx.my_ref(r)), None
    return reg_send(ctx, r, "global_name_server", global_msg(r, ctx, k, wild))


def break_types(r, ctx, t, n):
    """t with n of its subterms (not the tags) replaced by any value, or
    a tuple's arity changed."""
    for _ in range(n):
        paths = [p for p in subterm_paths(t) if len(p) >= 1]
        if not paths:
            return t
        p = r.choice(paths)
        if r.random() < 0.15:
            x = get_at(t, p[:-1])
            if isinstance(x, tuple) and x:
                nx = x[:-1] if r.random() < 0.5 else x + (any_value(r, ctx),)
                t = set_at(t, p[:-1], nx)
                continue
        t = set_at(t, p, any_value(r, ctx))
    return t


def keep_tags(t, new):
    """new with the first two levels' leading atoms of t put back, so the
    message still looks like global's (its tag and kind)."""
    if isinstance(t, tuple) and isinstance(new, tuple) and t and new:
        head = t[0] if isinstance(t[0], Atom) else new[0]
        rest = list(new[1:])
        if len(t) > 1 and isinstance(t[1], tuple) and len(new) > 1 and isinstance(new[1], tuple) \
                and t[1] and new[1] and isinstance(t[1][0], Atom):
            rest[0] = (t[1][0],) + new[1][1:]
        return (head,) + tuple(rest)
    return new


def gen_global_types(r, ctx):
    k = r.randrange(N_GLOBAL)
    m = global_msg(r, ctx, k)
    return reg_send(ctx, r, "global_name_server", keep_tags(m, break_types(r, ctx, m, r.randrange(1, 3))))


def gen_global_locks(r, ctx):
    k = r.randrange(3)
    other = Atom(r.choice(FOREIGN_NODES))
    if k == 0:
        body = (Atom("$gen_call"), (ctx.my_pid(r), (ctx.my_ref(r), ctx.b)),
                (Atom("set_lock"), (r.choice((Atom("global"), Atom("lf_res"))),
                                    [ctx.my_pid(r), Pid(other, 1, 0, 1)])))
    elif k == 1:
        body = (Atom("$gen_cast"), (Atom("lock_set"), ctx.my_pid(r), Atom("true"), [other],
                                    g_tag(r)))
    else:
        body = (Atom("lost_connection"), r.choice((other, ctx.b)), r.getrandbits(32),
                r.getrandbits(32), r.choice((other, ctx.me)))
    return reg_send(ctx, r, "global_name_server", body)


def request_free(r, ctx):
    """A payload that is no request to a server (those are denied)."""
    v = any_value(r, ctx)
    if isinstance(v, tuple) and v and isinstance(v[0], Atom) and v[0] in (
            "$gen_call", "$gen_cast", "system", "EXIT", "DOWN", "io_request"):
        return (Atom("lf"), v)
    return v


def gen_replies(r, ctx):
    k = r.randrange(6)
    if k < 2:
        return (22, ctx.my_pid(r), ctx.b_pid(r)), request_free(r, ctx)
    if k == 2:
        return (2, Atom(""), ctx.b_pid(r)), request_free(r, ctx)
    if k == 3:
        return (33, ctx.my_pid(r), ctx.b_ref(r)), (ctx.b_ref(r), request_free(r, ctx))
    if k == 4:
        return (19, ctx.my_pid(r), ctx.b_pid(r), ctx.my_ref(r)), None
    return (20, ctx.my_pid(r), ctx.b_pid(r), ctx.my_ref(r)), None


def gen_rex(r, ctx):
    frm = ctx.my_pid(r)
    body = r.choice(((frm, Atom("features_request")), (frm, Atom("features_request")),
                     (frm, Atom("features_request"), any_value(r, ctx)),
                     (frm, any_value(r, ctx))))
    return reg_send(ctx, r, "rex", body)


def gen_rex_types(r, ctx):
    # rpc.erl answers {From, features_request} with From ! ...: a From
    # that is no pid (nor a name) makes rex exit with badarg
    frm = any_value(r, ctx)
    while isinstance(frm, (Pid, Atom)):
        frm = any_value(r, ctx)
    return reg_send(ctx, r, "rex", (frm, Atom("features_request")))


def gen_gateway(r, ctx):
    k = r.randrange(4)
    if k == 0:
        v = (Atom("$gen_call"), (ctx.my_pid(r), Improper([Atom("alias")], ctx.my_ref(r))),
             r.choice((Atom("ping"), (Atom("echo"), any_value(r, ctx)), any_value(r, ctx))))
    elif k == 1:
        v = (Atom("$gen_cast"), any_value(r, ctx))
    else:
        v = any_value(r, ctx)
    return reg_send(ctx, r, "gateway", v)


def gen_sys(r, ctx):
    req = r.choice((Atom("get_state"), Atom("get_status"), Atom("suspend"), Atom("resume"),
                    (Atom("terminate"), Atom("normal")), (Atom("debug"), (Atom("log"), 10)),
                    any_value(r, ctx)))
    frm = (ctx.my_pid(r), Improper([Atom("alias")], ctx.my_ref(r)))
    return reg_send(ctx, r, "gateway", (Atom("system"), frm, req))


def spawn_req(r, ctx, opts, args):
    return (29, ctx.my_ref(r), ctx.my_pid(r), ctx.my_pid(r),
            (Atom("my_api"), Atom("handle"), 1), opts), args


def gen_my_api(r, ctx):
    arg = r.choice(((Atom("get"), atom(r, ctx)), (Atom("put"), atom(r, ctx), any_value(r, ctx)),
                    any_value(r, ctx), any_value(r, ctx)))
    opts = r.choice(([Atom("monitor")], [], [Atom("link")], [Atom("monitor"), Atom("link")]))
    args = r.choice(([arg], [arg], [], [arg, arg], Improper([arg], Atom("x"))))
    return spawn_req(r, ctx, opts, args)


def gen_spawn_opts(r, ctx):
    opt = r.choice(((Atom("min_heap_size"), r.choice((1 << 20, 1 << 36))),
                    (Atom("priority"), Atom("max")), (Atom("priority"), Atom("high")),
                    (Atom("max_heap_size"), r.choice((0, 1 << 40))),
                    (Atom("message_queue_data"), Atom("off_heap")),
                    (Atom("fullsweep_after"), 0), (Atom("min_bin_vheap_size"), 1 << 36),
                    (Atom("monitor"), [(Atom("tag"), any_value(r, ctx))]),
                    any_value(r, ctx)))
    return spawn_req(r, ctx, [Atom("monitor"), opt], [(Atom("get"), Atom("ok"))])


def gen_atom_window(r, ctx):
    pad = bytes(70 * 1024)
    ctx.fresh += 50
    atoms = [Atom("lf_window_%d_%d" % (ctx.fresh, i)) for i in range(50)]
    return (22, ctx.my_pid(r), ctx.b_pid(r)), (pad, atoms)


GENERATORS = {
    "ping": gen_ping, "global": gen_global,
    "ping_from": lambda r, ctx: gen_ping(r, ctx, True),
    "ping_echo": lambda r, ctx: gen_ping(r, ctx, False, True),
    "global_values": lambda r, ctx: gen_global(r, ctx, True),
    "global_repeat": lambda r, ctx: gen_global(r, ctx, False, True), "global_types": gen_global_types,
    "global_locks": gen_global_locks, "replies": gen_replies, "rex": gen_rex,
    "rex_types": gen_rex_types,
    "gateway": gen_gateway, "sys": gen_sys, "my_api": gen_my_api,
    "spawn_opts": gen_spawn_opts, "atom_window": gen_atom_window,
}


class Generator:
    """Messages of the given classes, drawn from one seed."""

    def __init__(self, seed, classes, caps):
        self.r = random.Random(seed)
        self.classes = list(classes)
        msgs = [m for ms in caps.values() for m in ms if not _is_code(m)]
        self.caps = {"capture": [m for m in msgs if not _to_global(m)],
                     "capture_global": [m for m in msgs if _to_global(m)]}
        self.caps["capture_any"] = msgs

    def next(self, ctx):
        """(class, control, payload)"""
        r = self.r
        cls = r.choice(self.classes)
        if cls in self.caps:
            if not self.caps[cls]:
                cls = "ping"
            else:
                c, p = r.choice(self.caps[cls])
                c, p = mutate_capture(r, ctx, c, p, cls == "capture_any")
                return cls, c, p
        c, p = GENERATORS[cls](r, ctx)
        return cls, c, p


def _to_global(m):
    c = m[0]
    return isinstance(c, tuple) and len(c) == 4 and c[0] in (6, 19, 20) and \
        c[3 if c[0] == 6 else 2] == "global_name_server"


def _is_code(m):
    """Captured spawn requests (erpc, spawn/4) are code: the default policy
    denies them; they would only count as denied sends."""
    c = m[0]
    return isinstance(c, tuple) and c and c[0] in (29, 1, 26, 7, 35)
