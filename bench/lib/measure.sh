# The measuring helpers bench/api and bench/public share: sourced, not run.
#
# The caller sets PSQL (an array: psql on the benchmark's database), WORK
# (its scratch directory), MAX_LOAD and LOAD_WAIT (the quiet to wait for),
# THREADS, CONNECTIONS, WARMUP and DURATION (wrk's run).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# describe_machine COMMAND: what the figures were measured on, into
# $WORK/machine and to the terminal; figures mean nothing without it.
describe_machine() {
    local pg="$PGURL_BASE/postgres"
    echo "== machine"
    {
        echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "cores:    $(nproc)"
        echo "cpu:      $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
        echo "memory:   $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "kernel:   $(uname -sr)"
        echo "rustc:    $(rustc --version)"
        echo "postgres: $(psql "$pg" -XAtc 'SHOW server_version')" \
             "(shared_buffers $(psql "$pg" -XAtc 'SHOW shared_buffers'), jit $(psql "$pg" -XAtc 'SHOW jit'))"
        echo "wrk:      $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
        echo "command:  $1"
        echo "tree:     $(git describe --always --dirty 2>/dev/null || echo unknown)"
        echo "load:     $(cut -d' ' -f1-3 /proc/loadavg)"
    } | tee "$WORK/machine"
    echo
}

cpu_ticks() { # utime+stime of the given pids, in clock ticks
    local total=0 pid
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
        fi
    done
    echo "$total"
}
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
pg_pids() { "${PSQL[@]}" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" | tr '\n' ' '; }

wait_for_quiet() {
    local waited=0
    while awk -v max="$MAX_LOAD" '{ exit !($1 > max) }' /proc/loadavg; do
        if [ "$waited" -ge "$LOAD_WAIT" ]; then
            echo "   (load average still $(cut -d' ' -f1 /proc/loadavg) after ${waited} s: measuring anyway)"
            return
        fi
        sleep 10
        waited=$((waited + 10))
    done
}

# run_wrk NAME SCRIPT URL "PID..." ENV... : wrk with SCRIPT and ENV against
# URL for WARMUP seconds (discarded), then for DURATION seconds with its
# latency into $WORK/NAME.wrk, and top halfway through into $WORK/NAME.top.
# Sets the CPU clock ticks used meanwhile: SERVER_TICKS (one figure for each
# of the quoted PIDs, in order), PG_TICKS (this database's backends),
# MACHINE_TICKS and IDLE_TICKS (the whole machine, all cores).
run_wrk() {
    local name=$1 script=$2 url=$3 pids=$4; shift 4
    env "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s "$script" "$url" >"$WORK/$name.warmup" 2>&1
    local pgp pid wrk_pid before_p before_m after_m
    local -a before_s=()
    pgp=$(pg_pids)
    for pid in $pids; do before_s+=("$(cpu_ticks "$pid")"); done
    # shellcheck disable=SC2086
    before_p=$(cpu_ticks $pgp); read -r -a before_m <<<"$(machine_ticks)"
    env "$@" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$script" "$url" >"$WORK/$name.wrk" 2>&1 &
    wrk_pid=$!
    ( sleep $((DURATION / 2)); top -b -n 2 -d 3 -w 200 | awk 'f; /^top -/ { n++; if (n == 2) f = 1 }' | head -25 >"$WORK/$name.top" ) &
    local top_pid=$!
    wait "$wrk_pid"
    wait "$top_pid" || true
    read -r -a after_m <<<"$(machine_ticks)"
    SERVER_TICKS=()
    local i=0
    for pid in $pids; do
        SERVER_TICKS+=($(( $(cpu_ticks "$pid") - before_s[i] )))
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    PG_TICKS=$(( $(cpu_ticks $pgp) - before_p ))
    MACHINE_TICKS=$(( after_m[0] - before_m[0] ))
    IDLE_TICKS=$(( after_m[1] - before_m[1] ))
}
