#!/usr/bin/env bash
# make stress: the debug kernel (configs/debug.config: KASAN, lockdep,
# DEBUG_VM, ...) of BASE under the storm of guest/stress.sh for a set time,
# racing kcompactd: fragmentation with pattern-verifying workloads, a knob
# storm as root and as nobody, memory blocks offlined and onlined, a QEMU
# pc-dimm hot-added and removed over QMP (scripts/qmp-dimm.py), CPU 1
# offlined and onlined, MGLRU switched; then the kernel's mm selftests in
# the same boot (unless --no-selftests).
#
# usage: BASE=7.3|6.12 scripts/stress.sh [-h] [--kernel patched|base]
#            [--minutes N | --seconds N] [--no-selftests] [--name NAME]
#            [--out DIR] [--min "offline=N cpu=N dimm=N"]
#            [--plant warn|corrupt] [--mm "RUN,RUN..."] [--no-dimm]
#   --kernel K      patched (default: the series of BASE from its patches)
#                   or base (the unpatched base, the control)
#   --minutes N     the storm's length (default 10); --seconds for short ones
#   --no-selftests  the storm only
#   --name NAME     the run's name (default BASE-KIND-Nmin): its summary is
#                   OUT/NAME.txt; rerunning a name replaces it
#   --out DIR       default debug/stress of the repository
#   --min ...       fail unless the storm did at least this many
#                   offline/online, CPU hotplug and DIMM cycles (a storm that
#                   did nothing proves nothing); default 1 of each
#   --no-dimm       no pc-dimm hot-add and hot-remove (make check's short
#                   storm: lockdep reports mem_hotplug_lock against a
#                   sysfs offline when the ACPI eject removes the DIMM's
#                   block devices, debug/stress/README.md)
#   --mm RUNS       only these mm selftest runs (guest/mm-selftests.sh's
#                   names, comma-separated, spaces as "+"); default all
#   --plant warn    make check-selftest's planted defects (also from
#   --plant corrupt PCOMPACT_PLANT): the storm loads scripts/selftest's
#                   plant_warn.ko midway (a WARN), or its first fragment
#                   run flips a byte (fragment -C); the run must fail,
#                   naming it
#
# The run fails on any splat in the guest's kernel log (scripts/splats.sh;
# the guest boots with kasan_multi_shot and the TCG thresholds of
# configs/debug.cmdline), on a changed page reported by any workload, on a
# knob that took a value it must refuse or refused one it must take, and
# on an mm selftest that fails on this kernel but passes on the base
# (debug/mm-selftests/BASE-base.txt, when there is one and KIND is patched).
. "$(dirname "$0")/lib.sh"

kind=patched secs=600 selftests=1 name= out=$REPO_DIR/debug/stress mins="offline=1 cpu=1 dimm=1"
plant=${PCOMPACT_PLANT:-} mmsel= dimmcycles=1
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--kernel) kind=$2; shift ;;
	--minutes) secs=$(($2 * 60)); shift ;;
	--seconds) secs=$2; shift ;;
	--no-selftests) selftests=0 ;;
	--name) name=$2; shift ;;
	--out) out=$2; shift ;;
	--min) mins=$2; shift ;;
	--plant) plant=$2; shift ;;
	--mm) mmsel=$2; shift ;;
	--no-dimm) dimmcycles=0 ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
	shift
done
case "$kind" in patched | base) ;; *) die "--kernel $kind: patched or base" ;; esac
case "$plant" in '' | warn | corrupt) ;; *) die "--plant $plant (PCOMPACT_PLANT): warn or corrupt" ;; esac
[ "$secs" -ge 30 ] 2>/dev/null || die "the storm needs 30 s at least (--seconds/--minutes)"
if [ $((secs % 60)) = 0 ]; then len=$((secs / 60))min; else len=${secs}s; fi
name=${name:-$BASE-$kind-$len}
"$REPO_DIR/scripts/deps.sh"
"$REPO_DIR/scripts/base-tree.sh" >/dev/null
kout=$("$REPO_DIR/scripts/debug-kernel.sh" --kernel "$kind")
case "$kind" in patched) wt=$BENCH_DIR/src ;; base) wt=$BENCH_BASE_DIR/src ;; esac
run_dir=$LOG_DIR/stress/$name
rm -rf "$run_dir"
mkdir -p "$run_dir/modules/debug" "$out"
# khugehog.ko, the benchmarks' in-kernel huge page allocator, for this kernel
mod=$run_dir/module-build
mkdir -p "$mod"
cp "$REPO_DIR/benchmarks/module/Kbuild" "$REPO_DIR/benchmarks/module/khugehog.c" "$mod/"
run_logged "stress-module-$name" make -C "$kout" ARCH=x86_64 CC="ccache gcc" M="$mod" modules ||
	die "benchmarks/module did not build against the debug kernel"
cp "$mod/khugehog.ko" "$run_dir/modules/debug/"
if [ "$plant" = warn ]; then
	pmod=$run_dir/plant-build
	mkdir -p "$pmod"
	cp "$REPO_DIR/scripts/selftest/Kbuild" "$REPO_DIR/scripts/selftest/plant_warn.c" "$pmod/"
	run_logged "stress-plant-$name" make -C "$kout" ARCH=x86_64 CC="ccache gcc" M="$pmod" modules ||
		die "scripts/selftest/plant_warn.c did not build against the debug kernel"
	mkdir -p "$run_dir/modules/plant"
	cp "$pmod/plant_warn.ko" "$run_dir/modules/plant/"
fi
initrd_args=(--bench-modules "$run_dir/modules")
if [ $selftests = 1 ]; then
	bin=$("$REPO_DIR/scripts/mm-selftests.sh")
	initrd_args+=(--mm-selftests "$bin")
fi
"$REPO_DIR/scripts/initramfs.sh" --tree "$wt" --out "$run_dir/initramfs.cpio" "${initrd_args[@]}"

cmdline="$(sed 's/#.*//' "$REPO_DIR/configs/debug.cmdline" | xargs) movablecore=512M memhp_default_state=online_movable pcompact.stress_secs=$secs"
[ $selftests = 0 ] || cmdline="$cmdline pcompact.mm_selftests=1"
[ $selftests = 0 ] || [ -z "$mmsel" ] || cmdline="$cmdline pcompact.mm=$mmsel"
[ -z "$plant" ] || { cmdline="$cmdline pcompact.plant=$plant"; log "stress: PLANTED DEFECT: $plant (make check-selftest): this run must fail"; }
sock=$run_dir/qmp.sock
start=$(date +%s)
deadline=$((start + 240 + secs))	# boot of a KASAN kernel under TCG: up to 4 minutes
qmp=
if [ $dimmcycles = 1 ]; then
	python3 "$REPO_DIR/scripts/qmp-dimm.py" "$sock" "$run_dir/tests.log" "$run_dir/dimm.json" \
		--deadline "$deadline" --slots 64 2>"$run_dir/qmp-dimm.err" &
	qmp=$!
else
	echo '{"dimm_cycles": 0, "dimm_skipped": 1}' >"$run_dir/dimm.json"
fi
log "stress: $name: the $kind $BASE debug kernel, a ${len} storm$([ $selftests = 0 ] || echo ', then the mm selftests'); log: $run_dir"
rc=0
(
	while sleep 60; do
		l=$(grep '^# stress: .* s left' "$run_dir/tests.log" 2>/dev/null | tail -n 1 | cut -c11-120)
		log "stress: ... ${l:-booting}"
	done
) &
ticker=$!
GUEST_MAXMEM_MB=4096 GUEST_SLOTS=64 BOOT_QMP=$sock BOOT_TIMEOUT=$((secs + 3600)) \
	GUEST_CPUS=${GUEST_CPUS:-4} "$REPO_DIR/scripts/boot.sh" --batch --run stress --kernel "$kout/arch/x86/boot/bzImage" \
	--initrd "$run_dir/initramfs.cpio" --log-dir "$run_dir" --append "$cmdline" || rc=$?
kill $ticker 2>/dev/null || true
[ -z "$qmp" ] || wait "$qmp" 2>/dev/null || true
log "stress: the guest ran $(($(date +%s) - start)) s"

# ---- what happened --------------------------------------------------------
fail=()
summary=$(sed -n 's/^STRESS-SUMMARY //p' "$run_dir/tests.log" | tail -n 1)
[ -n "$summary" ] || fail+=("the storm did not finish (no STRESS-SUMMARY in $run_dir/tests.log)")
"$REPO_DIR/scripts/splats.sh" --stacks "$run_dir/console.log" >"$run_dir/splats.txt" || true
nsplat=$("$REPO_DIR/scripts/splats.sh" "$run_dir/console.log" | grep -c . || true)
[ "$nsplat" = 0 ] || fail+=("$nsplat splat lines in the kernel log (first: $(head -n 1 "$run_dir/splats.txt" | cut -c1-100))")
get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print(d.get(sys.argv[2], 0))' "$1" "$2"; }
dimm=$(cat "$run_dir/dimm.json" 2>/dev/null || echo '{}')
# DIMM cycles that really happened: added, seen by the guest, removed
dimm_ok=$(get "$dimm" dimm_cycles)
[ -z "$summary" ] || [ "$(get "$summary" dimm_blocks_seen)" -ge "$dimm_ok" ] || dimm_ok=$(get "$summary" dimm_blocks_seen)
if [ -n "$summary" ]; then
	if [ "$(get "$summary" changed_page_runs)" != 0 ]; then
		who=$(sed -n 's/^# stress: \([a-z]*\) reported changed pages.*/\1/p' "$run_dir/tests.log" | sort | uniq -c | awk '{ printf "%s%s x%s", s, $2, $1; s = ", " }')
		fail+=("$(get "$summary" changed_page_runs) workload runs reported changed pages (${who:-see $run_dir/tests.log})")
	fi
	[ "$(get "$summary" knob_violations)" = 0 ] || fail+=("$(get "$summary" knob_violations) knob writes got the wrong answer")
	for m in $mins; do
		k=${m%%=*} want=${m#*=}
		case "$k" in
		offline) got=$(get "$summary" online_ok) ;;
		cpu) got=$(get "$summary" cpu_online_ok) ;;
		dimm) got=$dimm_ok ;;
		*) die "--min $m: offline, cpu or dimm" ;;
		esac
		[ "$got" -ge "$want" ] || fail+=("only $got $k cycles (at least $want wanted)")
	done
fi
grep -q '^STRESS-EXIT: 0' "$run_dir/tests.log" || [ -z "$summary" ] || fail+=("the storm's own check failed (STRESS-EXIT in $run_dir/tests.log)")
# the mm selftests of this boot, against the base's committed table
st_lines=
if [ $selftests = 1 ]; then
	st_lines=$(sed -nE 's/^(not ok|ok) [0-9]+ ([^#]*[^ #]) *# *(.*)$/\1|\2|\3/p' "$run_dir/mm-selftests.log" 2>/dev/null |
		while IFS='|' read -r s n rest; do
			case "$s|$rest" in ok\|SKIP*) r=skip ;; ok\|*) r=pass ;; *timed\ out*) r=timeout ;; *) r=fail ;; esac
			printf '%s\t%s\t%s\n' "$n" "$r" "$rest"
		done)
	[ -n "$st_lines" ] || fail+=("no mm selftest results ($run_dir/mm-selftests.log)")
	# the base's results: its run and its reruns (BASE-base.rerun-*.txt);
	# a result the base had in any of them is the base's
	basetab=$REPO_DIR/debug/mm-selftests/$BASE-base.txt
	while IFS=$'\t' read -r n r _; do
		[ -n "$n" ] || continue
		[ "$r" = pass ] && continue
		b=$(cat "$basetab" "${basetab%.txt}".rerun-*.txt 2>/dev/null | awk -F'\t' -v n="$n" '$1 == n { print $2 }' | sort -u | tr '\n' ' ')
		if [ $kind = base ] || [[ " $b" == *" $r "* ]]; then
			log "stress: mm selftest '$n': $r, as on the base ($basetab and its reruns: $b): the base's"
		else
			fail+=("mm selftest '$n': $r here, ${b:-not run} on the unpatched base")
		fi
	done <<<"$st_lines"
fi
res=$out/$name.txt
{
	echo "# make stress: $name (scripts/stress.sh)"
	echo "# kernel: the $kind $BASE debug kernel, $(sed -n 's/.*Linux version \([^ ]*\) .*/\1/p' "$run_dir/console.log" | head -n 1)"
	echo "# config: sha1 $(sha1sum <"$kout/.config" | cut -c1-12) of .config (configs/guest.config + bases/$BASE.config + debug.config)"
	echo "# command line: $cmdline"
	echo "# date: $(date -u +%Y-%m-%dT%H:%MZ), host $(hostname), $(nproc) CPUs, accel $(cat "$run_dir/accel" 2>/dev/null || echo tcg)"
	echo "storm_seconds	$secs"
	python3 -c 'import json,sys
for src in sys.argv[1:]:
    d = json.loads(src or "{}")
    for k, v in d.items():
        if k != "dimm_errors":
            print("%s\t%s" % (k, v))' "$summary" "$dimm"
	echo "dimm_cycles_seen_by_the_guest	$dimm_ok"
	echo "splats	$nsplat"
	[ -z "$st_lines" ] || printf '%s\n' "$st_lines" | sed 's/^/mm_selftest	/'
	if [ ${#fail[@]} = 0 ]; then echo "result	pass"; else printf 'result	FAIL: %s\n' "${fail[@]}"; fi
} >"$res"
log "stress: summary in $res"
if [ ${#fail[@]} -gt 0 ]; then
	printf 'stress: FAIL: %s\n' "${fail[@]}" >&2
	[ "$nsplat" = 0 ] || head -n 40 "$run_dir/splats.txt" >&2
	exit 1
fi
log "stress: pass: 0 splats, 0 changed pages ($(get "$summary" pages_verified) pages verified), $(get "$summary" online_ok) offline/online, $dimm_ok DIMM (of $(get "$dimm" dimm_cycles) the host counted) and $(get "$summary" cpu_online_ok) CPU cycles"
