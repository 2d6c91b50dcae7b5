# SPDX-License-Identifier: Apache-2.0
# tests/e2e/ports.sh - loopback ports and bounded waits, shared by the
# end-to-end tests (lib.sh) and the benchmarks (bench/run.sh).  Sourced by
# bash.

# A free TCP port on 127.0.0.1, below 32768: never one of the kernel's
# ephemeral ports (32768-60999 here), which the tests' own outgoing
# connections draw from.  Random in 20000-32767, tried until one binds.
free_port() {
	python3 - <<'PY'
import random, socket, sys
for _ in range(200):
    p = random.randrange(20000, 32768)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit(1)
PY
}

# wait_for FILE REGEX [SECONDS]: waits until FILE has a line matching.
wait_for() {
	local f=$1 re=$2 t=${3:-10} i=0
	while [ $i -lt $((t * 10)) ]; do
		grep -Eq -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# pick_range [N]: the first port of N (default 40) consecutive ports
# below 32768 (never the kernel's ephemeral ones) that are free on
# 127.0.0.1 right now.
pick_range() {
	local n=${1:-40} base
	for _ in $(seq 1 20); do
		base=$(( (RANDOM % 250) * 50 + 20000 ))
		[ $((base + n)) -le 32768 ] || continue
		if python3 - "$base" "$n" <<'PY'
import socket, sys
b, n = int(sys.argv[1]), int(sys.argv[2])
for p in range(b, b + n):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
		then echo "$base"; return 0; fi
	done
	return 1
}
