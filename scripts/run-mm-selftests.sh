#!/usr/bin/env bash
# Run the kernel's own mm selftests (scripts/mm-selftests.sh) on the debug
# guest kernel (scripts/debug-kernel.sh) of BASE, patched or unpatched, and
# write one line per run to debug/mm-selftests/BASE-KIND.txt: the run,
# its result (pass, fail, skip, timeout), seconds, the program's own
# totals, its failed cases ("-" for none); with the kernel's version
# string and the hash of its .config.
# A splat in the guest's log (scripts/splats.sh) fails the run too.
#
# usage: BASE=7.3|6.12 scripts/run-mm-selftests.sh [-h] [--kernel patched|base]
#                                                   [--out DIR] [RUN...]
#   --kernel K  patched (default) or base
#   --out DIR   where the result file goes (default debug/mm-selftests of
#               the repository); the guest's logs stay in the cache
#   RUN...      only these runs (guest/mm-selftests.sh names them)
# Exit status: 0 when every run passed and the log has no splat.
. "$(dirname "$0")/lib.sh"

kind=patched out=$REPO_DIR/debug/mm-selftests runs=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--kernel) kind=$2; shift ;;
	--out) out=$2; shift ;;
	-*) die "unknown option $1 (see -h)" ;;
	*) runs+=("$1") ;;
	esac
	shift
done
case "$kind" in patched | base) ;; *) die "--kernel $kind: patched or base" ;; esac
"$REPO_DIR/scripts/deps.sh"
"$REPO_DIR/scripts/base-tree.sh" >/dev/null
kout=$("$REPO_DIR/scripts/debug-kernel.sh" --kernel "$kind")
bin=$("$REPO_DIR/scripts/mm-selftests.sh")
case "$kind" in patched) wt=$BENCH_DIR/src ;; base) wt=$BENCH_BASE_DIR/src ;; esac
run_dir=$LOG_DIR/mm-selftests/$BASE-$kind
mkdir -p "$run_dir" "$out"
initrd=$run_dir/initramfs.cpio
"$REPO_DIR/scripts/initramfs.sh" --tree "$wt" --out "$initrd" --mm-selftests "$bin"
cmdline=$(sed 's/#.*//' "$REPO_DIR/configs/debug.cmdline" | xargs)
# the runs to make, for the guest (pcompact.mm=a,b: spaces as "+")
if [ ${#runs[@]} -gt 0 ]; then
	sel=$(printf '%s,' "${runs[@]}" | tr ' ' '+')
	cmdline="$cmdline pcompact.mm=${sel%,}"
fi
log "mm selftests: booting the $kind $BASE debug kernel (TCG: about 10 minutes)"
rc=0
BOOT_TIMEOUT=${BOOT_TIMEOUT:-3600} GUEST_CPUS=${GUEST_CPUS:-4} "$REPO_DIR/scripts/boot.sh" --batch --run mm-selftests \
	--kernel "$kout/arch/x86/boot/bzImage" --initrd "$initrd" --log-dir "$run_dir" \
	--append "$cmdline" || rc=$?
splats=0
"$REPO_DIR/scripts/splats.sh" "$run_dir/console.log" >"$run_dir/splats.txt" || splats=$?
res=$out/$BASE-$kind.txt
{
	echo "# mm selftests on the $kind $BASE debug kernel (scripts/run-mm-selftests.sh)"
	echo "# kernel: $(sed -n 's/.*Linux version \([^ ]*\) .*/\1/p' "$run_dir/console.log" | head -n 1)" \
		"$(grep -o '#[0-9]* SMP .*' "$run_dir/console.log" | head -n 1 | cut -c1-60)"
	echo "# config: sha1 $(sha1sum <"$kout/.config" | cut -c1-12) of $(basename "$kout")/.config"
	echo "# date: $(date -u +%Y-%m-%d), host $(hostname) with $(grep -c ^processor /proc/cpuinfo) CPUs, guest ${GUEST_CPUS:-4} CPUs, accel $(cat "$run_dir/accel" 2>/dev/null || echo tcg)"
	echo "# splats in the guest's log: $(grep -c . "$run_dir/splats.txt" || true)"
	# "ok N NAME # 12s Totals: ..." at the top level of the KTAP
	tr -d '\r' <"$run_dir/tests.log" | sed -nE 's/^(not ok|ok) [0-9]+ ([^#]*[^ #]) *# *(.*)$/\1|\2|\3/p' |
		while IFS='|' read -r st name rest; do
			case "$st|$rest" in
			ok\|SKIP*) r=skip ;;
			ok\|*) r=pass ;;
			*timed\ out*) r=timeout ;;
			*) r=fail ;;
			esac
			# the program's own failed cases, for matching against the base
			cases=$(awk -v n="$name" '{ sub(/\r$/, "") } /^    # Subtest: / { s = substr($0, 16) }
				s == n && /^    not ok [0-9]+ / { sub(/^    not ok [0-9]+ /, ""); printf "%s%s", c, $0; c = "; " }' "$run_dir/tests.log")
			printf '%s\t%s\t%s\t%s\n' "$name" "$r" "$rest" "${cases:--}"
		done
} >"$res"
nrun=$(grep -cP '^[^#].*\t(pass|fail|timeout|skip)\t' "$res" || true)
nbad=$(grep -cP '\t(fail|timeout)\t' "$res" || true)
log "mm selftests: $(grep -cP '\tpass\t' "$res" || true) passed, $nbad failed, $(grep -cP '\tskip\t' "$res" || true) skipped; $res"
# kunit.py's parse (boot.sh's status) is kept as a log only: the programs'
# own TAP 13, nested, is more than it reads (it reports some as crashed);
# the result is each program's exit status, the top-level KTAP line
[ $rc = 0 ] || log "mm selftests: boot.sh exit $rc (kunit.py parse: $run_dir/guest-tests.txt)"
rc=0
[ "$nrun" -gt 0 ] || { log "mm selftests: no result in $run_dir/tests.log: the guest did not finish"; rc=1; }
[ "$nbad" = 0 ] || rc=1
[ "$splats" = 0 ] || { sed 's/^/  /' "$run_dir/splats.txt" >&2; rc=1; }
exit $rc
