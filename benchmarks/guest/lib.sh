#!/bin/sh
# Shared by the guest side of the benchmarks (installed as /bench/lib.sh).
# Every result is one JSON line on stdout, tagged with the phase it
# belongs to; anything else a workload says goes out as a "# " comment.
# A workload that fails (a changed page among others) is recorded, and
# bench_end reports it: the runner then fails the run.

BENCH_FAILED=""

# tag PHASE: JSON lines from stdin get "phase":"PHASE" in front
tag() {
	while IFS= read -r l || [ -n "$l" ]; do
		case "$l" in
		'{'*) printf '{"phase":"%s",%s\n' "$1" "${l#\{}" ;;
		*) printf '# %s\n' "$l" ;;
		esac
	done
}

# run PHASE CMD...: run a workload, tag its output, record a failure
run() {
	phase=$1
	shift
	{ "$@" 2>&1; echo "rc=$?" >/tmp/bench.rc; } | tag "$phase"
	rc=$(sed -n 's/^rc=//p' /tmp/bench.rc)
	if [ "$rc" != 0 ]; then
		BENCH_FAILED="$BENCH_FAILED $phase:$1:$rc"
		printf '{"phase":"%s","workload":"bench","event":"failed","command":"%s","status":%s}\n' \
			"$phase" "$*" "$rc"
	fi
	return "$rc"
}

# fail PHASE WHY: a failure of the scenario itself
fail() {
	BENCH_FAILED="$BENCH_FAILED $1"
	printf '{"phase":"%s","workload":"bench","event":"failed","why":"%s"}\n' "$1" "$2"
}

# start PHASE OUT READY CMD...: start a workload that holds its memory
# in the background; wait (300 s at most) until it creates READY. Its PID
# is in $BG. The output goes to OUT until stop() tags it.
start() {
	phase=$1 out=$2 ready=$3
	shift 3
	rm -f "$ready"
	"$@" >"$out" 2>&1 &
	BG=$!
	t=0
	while [ ! -e "$ready" ] && [ $t -lt 3000 ]; do
		kill -0 $BG 2>/dev/null || break
		sleep 0.1
		t=$((t + 1))
	done
	if [ ! -e "$ready" ]; then
		tag "$phase" <"$out"
		fail "$phase" "$1 did not get ready"
		return 1
	fi
}

# stop PHASE OUT PID: end a background workload's hold; it verifies its
# memory and exits
stop() {
	kill -TERM "$3" 2>/dev/null
	wait "$3"
	rc=$?
	tag "$1" <"$2"
	if [ "$rc" != 0 ]; then
		BENCH_FAILED="$BENCH_FAILED $1:$rc"
		printf '{"phase":"%s","workload":"bench","event":"failed","why":"exit status %s","status":%s}\n' \
			"$1" "$rc" "$rc"
	fi
}

# kalloc PHASE COUNT ORDER: COUNT allocations of ORDER timed in the kernel
# by khugehog.ko (built for this kernel), held, then verified and freed
# by its unload; its JSON lines come from the kernel log
kalloc() {
	ko=/bench/modules/$BENCH_KERNEL/khugehog.ko
	[ -f "$ko" ] || { fail "$1" "no $ko"; return 1; }
	dmesg -c >/dev/null
	c=
	[ "$BENCH_CORRUPT" != 1 ] || c=corrupt=1
	# shellcheck disable=SC2086
	insmod "$ko" count="$2" order="$3" $c || { fail "$1" "insmod khugehog"; return 1; }
	rmmod khugehog || fail "$1" "rmmod khugehog"
	dmesg | sed -n 's/.*khugehog: //p' | tag "$1" >/tmp/kalloc.out
	cat /tmp/kalloc.out
	grep -q '"event":"verified"' /tmp/kalloc.out || fail "$1" "khugehog did not verify"
	if grep -q '"corrupt_pages":[1-9]' /tmp/kalloc.out; then
		BENCH_FAILED="$BENCH_FAILED $1:khugehog:corrupt"
	fi
}

# vmstat_snap FILE: the counters the reports use
vmstat_snap() {
	grep -E '^(compact_|thp_|pgmigrate_|pgmajfault |pswpin |pswpout |workingset_refault_anon )' \
		/proc/vmstat >"$1"
	ns=$(kcompactd_ns)
	[ -z "$ns" ] || echo "kcompactd_cpu_ns $ns" >>"$1"
}

# kcompactd_ns: CPU time of all kcompactd threads, in ns, from
# /proc/PID/schedstat (SCHEDSTATS, set by configs/guest.config); nothing
# without it, so that kcompactd_cpu_s is missing (and the run fails), not 0
kcompactd_ns() {
	total=0
	for d in /proc/[0-9]*; do
		case "$(cat "$d/comm" 2>/dev/null)" in
		kcompactd*)
			[ -r "$d/schedstat" ] || return
			total=$((total + $(cut -d' ' -f1 "$d/schedstat")))
			;;
		esac
	done
	echo $total
}

# vmstat_delta PHASE BEFORE AFTER: one JSON line of what moved in between
vmstat_delta() {
	awk -v phase="$1" '
	FNR == NR { before[$1] = $2; next }
	!($1 in before) { next }
	{ d = $2 - before[$1]
	  if ($1 == "kcompactd_cpu_ns") { out = out sprintf(",\"kcompactd_cpu_s\":%.3f", d / 1e9); next }
	  out = out sprintf(",\"%s\":%.0f", $1, d) }
	END { printf "{\"phase\":\"%s\",\"workload\":\"vmstat\",\"event\":\"delta\"%s}\n", phase, out }
	' "$2" "$3"
}

# set_knob FILE VALUE [READBACK]: write VALUE, read it back (READBACK
# when the file shows it another way); a mismatch fails the run, so no
# result is labelled with a setting that did not take
set_knob() {
	echo "$2" >"$1" 2>/dev/null
	got=$(cat "$1" 2>/dev/null)
	case "$got" in
	"${3:-$2}" | *"[${3:-$2}]"*) return 0 ;;
	esac
	fail setup "$1: wrote $2, reads $got"
	return 1
}

# proactiveness N
proactiveness() { set_knob /proc/sys/vm/compaction_proactiveness "$1"; }

# applied SETTING KEY=VALUE...: the setting this boot runs, as applied
# (the runner checks it is the one it asked for)
applied() {
	s=$1
	shift
	extra=
	for kv in "$@"; do extra="$extra,\"${kv%%=*}\":\"${kv#*=}\""; done
	printf '{"phase":"setup","workload":"bench","event":"setting","setting":"%s"%s}\n' "$s" "$extra"
}

# thp_setup: the scenario's THP_ENABLED and THP_DEFRAG
thp_setup() {
	set_knob /sys/kernel/mm/transparent_hugepage/enabled "$THP_ENABLED"
	set_knob /sys/kernel/mm/transparent_hugepage/defrag "$THP_DEFRAG"
}

# guest_info: what ran (after thp_setup); a jiffies clocksource makes
# every time a multiple of the tick, so it fails the run
guest_info() {
	cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
	printf '{"phase":"guest","workload":"guest","event":"info","kernel":"%s","uts_version":"%s","cpus":%s,"nodes":%s,"memtotal_kb":%s,"clocksource":"%s","thp_enabled":"%s","thp_defrag":"%s","boot_proactiveness":%s}\n' \
		"$(uname -r)" "$(uname -v)" "$(nproc)" "$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)" \
		"$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" "$cs" \
		"$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)" \
		"$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/defrag)" \
		"$(cat /proc/sys/vm/compaction_proactiveness)"
	case "$cs" in *jiffies*) fail guest "clocksource $cs: latencies would be multiples of the tick" ;; esac
}

# bench_end: the last line; the runner requires it, with status 0
bench_end() {
	st=0
	[ -z "$BENCH_FAILED" ] || st=1
	printf '{"phase":"end","workload":"bench","event":"end","status":%s,"failed":"%s"}\n' \
		$st "${BENCH_FAILED# }"
	return $st
}
