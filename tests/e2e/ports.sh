# tests/e2e/ports.sh - loopback ports and bounded waits, shared by the
# end-to-end tests (lib.sh) and the benchmarks (bench/run.sh).  Sourced by
# bash.

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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

# A listen range of 40 ports that are free right now.
pick_range() {
	local base
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		base=$(( (RANDOM % 400) * 50 + 20000 ))
		if python3 - "$base" <<'PY'
import socket, sys
b = int(sys.argv[1])
for p in range(b, b + 40):
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

