#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""depcheck - the include and naming rules of distguard's floors
(docs/ARCHITECTURE.md).

    python3 scripts/depcheck.py [ROOT]

Reads the daemon's sources under ROOT (default: the checkout this script
is in) and fails, with FILE:LINE, on:
  - a header that is not found where the rules say to look: the including
    file's own folder, include/, or a path from the top ("filter/rules.h");
  - include/ naming anything but include/ (it is the shared vocabulary);
  - an include that runs up a floor, or sideways between two modules of
    the same floor;
  - a circle of includes between files;
  - a function defined without `static` whose name does not start with its
    module's prefix (the file's name, its first word, or the prefix
    PREFIXES gives the folder or the file).
Exit status 0: clean; 1: violations (each on one line); 2: usage.
"""
import os
import re
import sys

# The floors, lowest first.  A module may include its own folder, include/,
# and the modules of the floors below its own, never above or beside.
FLOORS = [
    ["core"],                           # log, util, addresses, net, alerts...
    ["link"],                           # the link's records, keys, policy
    ["conf"],                           # the configuration and term reader
    ["handshake", "filter", "epmd"],    # the protocol engines
    ["proxy"],                          # sessions and the relay
    ["daemon"],                         # main, the daemon, control, CLI
]
RANK = {m: i for i, floor in enumerate(FLOORS) for m in floor}
VOCAB = "include"

# Prefixes beside the file's own name and its first word ("conf_" for
# conf_opts.c): a folder's short prefix, and files whose functions are
# named for the vocabulary they serve.
PREFIXES = {
    "core": ["dg_"],            # util.c, addr.c: the dg_ helpers of dg.h
    "core/names.c": ["dflag_"],  # the flags' names (dg_flags.h)
    "core/alert.c": ["alerts_"],
    "core/ban.c": ["bans_"],
    "link": ["lk_"],
    "conf/eterm.c": ["et_"],
    "filter/dist_frame.c": ["df_"],
    "filter/dist_ctl.c": ["dc_"],
    "filter/dist_facts.c": ["dist_", "dc_"],
    "daemon": ["cmd_"],         # the CLI's commands (daemon/cmd.h)
    "daemon/main.c": ["main"],
}
DEF_RE = re.compile(r"^([a-z_][a-z0-9_]*)\(")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources(root):
    for mod in [VOCAB] + list(RANK):
        d = os.path.join(root, mod)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield mod, os.path.join(mod, name)


def resolve(root, mod, rel, target):
    """The repository path TARGET names from file REL of module MOD."""
    if "/" not in target:
        own = os.path.join(mod, target)
        if os.path.isfile(os.path.join(root, own)):
            return own, None
        vocab = os.path.join(VOCAB, target)
        if os.path.isfile(os.path.join(root, vocab)):
            return vocab, None
        return None, "not in %s/ nor in include/: name another " \
            "module's header by its path" % mod
    first = target.split("/", 1)[0]
    if first not in RANK and first != VOCAB:
        return None, "no module %s/" % first
    if not os.path.isfile(os.path.join(root, target)):
        return None, "no such header"
    return target, None


def floor_error(mod, dep):
    if dep == mod:
        return None
    if mod == VOCAB:
        return "include/ is the shared vocabulary: it names nothing above it"
    if dep == VOCAB:
        return None
    if RANK[dep] > RANK[mod]:
        return "runs up a floor (%s is above %s)" % (dep, mod)
    if RANK[dep] == RANK[mod]:
        return "runs sideways (%s and %s share a floor)" % (dep, mod)
    return None


def name_errors(rel, lines):
    """Functions RELl defines without static, named outside its prefixes."""
    mod, base = rel.split("/", 1)
    stem = base[:-2]
    allowed = [stem + "_", stem + "s_", stem.split("_")[0] + "_"] + \
        PREFIXES.get(mod, []) + PREFIXES.get(rel, [])
    errors = []
    prev = ""
    for lineno, line in enumerate(lines, 1):
        m = DEF_RE.match(line)
        # A definition: the name at the start of a line, its return type
        # alone on the line before (the style of every file here).
        if m and prev[:1].isalpha() and not prev.startswith(
                ("static", "typedef", "#")) and \
                not prev.rstrip().endswith((";", ",", "\\", "{")) and \
                m.group(1) != stem and \
                not any(m.group(1).startswith(a)
                        for a in allowed):
            errors.append("%s:%d: %s() lacks its module's prefix (%s)"
                          % (rel, lineno, m.group(1),
                             ", ".join(a for a in allowed)))
        prev = line
    return errors


def find_circle(graph):
    """A list of files that include each other in a circle, or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip())
        return 2 if len(argv) > 2 else 0
    root = argv[1] if len(argv) == 2 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors = []
    graph = {}
    nfiles = nincludes = 0
    for mod, rel in sources(root):
        nfiles += 1
        graph.setdefault(rel, [])
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            lines = f.read().split("\n")
        if rel.endswith(".c") and mod != VOCAB:
            errors += name_errors(rel, lines)
        if True:
            for lineno, line in enumerate(lines, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                nincludes += 1
                target = m.group(1)
                path, why = resolve(root, mod, rel, target)
                if why is None:
                    why = floor_error(mod, path.split("/", 1)[0])
                if why is not None:
                    errors.append('%s:%d: #include "%s": %s'
                                  % (rel, lineno, target, why))
                    continue
                graph[rel].append(path)
    circle = find_circle(graph)
    if circle:
        errors.append("%s: includes form a circle: %s"
                      % (circle[0], " -> ".join(circle)))
    for e in errors:
        print("depcheck: " + e)
    if errors:
        print("depcheck: %d violation(s) in %d files" % (len(errors), nfiles))
        return 1
    print("depcheck: %d files, %d includes, floors %s: clean"
          % (nfiles, nincludes,
             " < ".join("/".join(f) for f in FLOORS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
