#!/usr/bin/env bash
# Boot a guest kernel in QEMU: 2 CPUs, 2 GiB, two NUMA nodes (QEMU -numa,
# read by the guest from ACPI SRAT), TCG unless a KVM probe passes.
#
# usage: scripts/boot.sh [-h] --kernel BZIMAGE --initrd CPIO [--batch|--bench]
#                        [--log-dir DIR] [--timeout SEC] [--append ARGS]
#                        [--run MODE]
#   --batch       run the in-guest tests, power off, and exit with their
#                 status (KTAP on the second serial port, parsed with the
#                 kernel's kunit.py, as are the KUnit results of the boot)
#   --run MODE    what --batch runs: tests (default, the in-guest suites),
#                 mm-selftests (the kernel's, /tests/mm-selftests.sh; KTAP
#                 parsed as for tests) or stress (/tests/stress.sh, then
#                 the mm selftests in the same boot with
#                 pcompact.mm_selftests=1: their KTAP on a third serial
#                 port, LOG_DIR/mm-selftests.log; scripts/stress.sh reads
#                 the results)
#   --bench       one benchmark run (pcompact.run=bench; --append names the
#                 scenario: pcompact.bench=S pcompact.setting=X); its JSON
#                 lines land in LOG_DIR/results.log, the exit status is the
#                 guest's
#   interactive   (default) a shell on the serial console; `poweroff` ends
#                 QEMU, so does Ctrl-A X
#
# Environment: ACCEL=auto|tcg|kvm (default auto: KVM only if a probe boot
# with a timeout passes; the answer is cached), GUEST_MEM_MB (2048),
# GUEST_CPUS (2), GUEST_NODES (2, or 1), KUNIT_TREE (a kernel tree for
# kunit.py; default: the tree the kernel came from is not known, so the
# base tree), BOOT_QUIET=1 (no log lines but errors), GUEST_MAXMEM_MB and
# GUEST_SLOTS (memory hotplug: -m MEM,slots=N,maxmem=M; none by default),
# BOOT_QMP=SOCKET (a QMP server on that unix socket, for pc-dimm hotplug).
. "$(dirname "$0")/lib.sh"

kernel= initrd= batch=0 bench=0 logdir= tmo=${BOOT_TIMEOUT:-600} append= run=tests
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--batch) batch=1 ;;
	--bench) bench=1 ;;
	--log-dir) logdir=$2; shift ;;
	--timeout) tmo=$2; shift ;;
	--append) append=$2; shift ;;
	--run) run=$2; shift ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
	shift
done
case "$run" in tests | mm-selftests | stress) ;; *) die "--run $run: the modes are tests, mm-selftests and stress" ;; esac
[ -f "$kernel" ] || die "no kernel image '$kernel' (build it with: make build)"
[ -f "$initrd" ] || die "no initramfs '$initrd'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing: run scripts/deps.sh"

mem=${GUEST_MEM_MB:-2048} cpus=${GUEST_CPUS:-2} nodes=${GUEST_NODES:-2}
half=$((mem / 2))
memarg=$mem
[ -z "${GUEST_MAXMEM_MB:-}" ] || memarg="$mem,slots=${GUEST_SLOTS:-4},maxmem=${GUEST_MAXMEM_MB}M"
QEMU=(qemu-system-x86_64 -m "$memarg" -smp "$cpus,sockets=$cpus,cores=1,threads=1"
	-kernel "$kernel" -initrd "$initrd" -no-reboot -display none)
case "$nodes" in
1) ;;
2) QEMU+=(-object memory-backend-ram,id=m0,size=${half}M
	-object memory-backend-ram,id=m1,size=$((mem - half))M
	-numa node,nodeid=0,cpus=0-$((cpus / 2 - 1 < 0 ? 0 : cpus / 2 - 1)),memdev=m0
	-numa node,nodeid=1,cpus=$((cpus / 2))-$((cpus - 1)),memdev=m1) ;;
*) die "GUEST_NODES must be 1 or 2" ;;
esac
[ -z "${BOOT_QMP:-}" ] || QEMU+=(-qmp "unix:$BOOT_QMP,server=on,wait=off")
[ "${BOOT_QUIET:-0}" = 1 ] && log() { :; }
CMDLINE="console=ttyS0 panic=-1 $append"

# accel: tcg, or kvm when /dev/kvm works and a probe boot finishes in time.
# Here /dev/kvm exists but KVM guests hang, hence the probe.
pick_accel() {
	local want=${ACCEL:-auto} cache probe_log
	case "$want" in
	tcg | kvm) echo "$want"; return ;;
	auto) ;;
	*) die "ACCEL must be auto, tcg or kvm" ;;
	esac
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo tcg; return; }
	cache=$PCOMPACT_CACHE/kvm-probe.$(uname -r)-$(qemu-system-x86_64 --version | head -1 | tr -cd '0-9.')
	if [ ! -f "$cache" ]; then
		mkdir -p "$PCOMPACT_CACHE"
		probe_log=$(mktemp)
		log "boot: probing KVM (a guest boot with a 30 s timeout; cached in $cache)"
		timeout -k 5 30 "${QEMU[@]}" -accel kvm -serial "file:$probe_log" -monitor none \
			-append "$CMDLINE pcompact.run=probe" >/dev/null 2>&1 || true
		if grep -q PCOMPACT-PROBE-OK "$probe_log"; then echo kvm >"$cache"; else echo tcg >"$cache"; fi
		rm -f "$probe_log"
	fi
	cat "$cache"
}
accel=$(pick_accel)
[ "$accel" = tcg ] && log "boot: accel tcg (software emulation: times are only comparable within one run)"
[ "$accel" = kvm ] && log "boot: accel kvm"
QEMU+=(-accel "$accel")

if [ $batch = 0 ] && [ $bench = 0 ]; then
	log "boot: interactive shell in the guest; 'poweroff' (or Ctrl-A X) ends QEMU"
	exec "${QEMU[@]}" -serial mon:stdio -serial null -append "$CMDLINE"
fi

if [ $bench = 1 ]; then
	[ -n "$logdir" ] || die "--bench needs --log-dir"
	mkdir -p "$logdir"
	console=$logdir/console.log results=$logdir/results.log
	rm -f "$console" "$results"
	echo "$accel" >"$logdir/accel"
	rc=0
	timeout -k 10 "$tmo" "${QEMU[@]}" -monitor none -serial "file:$console" -serial "file:$results" \
		-append "$CMDLINE pcompact.run=bench" >"$logdir/qemu.log" 2>&1 || rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		tail -n 20 "$console" >&2
		die "the guest did not power off within $tmo s (console above; whole log: $console)"
	fi
	[ $rc = 0 ] || { cat "$logdir/qemu.log" >&2; die "qemu failed (exit $rc)"; }
	if grep -q 'Kernel panic\|BUG:\|WARNING:' "$console"; then
		grep -A20 -m1 'Kernel panic\|BUG:\|WARNING:' "$console" >&2
		die "the guest kernel panicked or warned (whole log: $console)"
	fi
	st=$(sed -n 's/.*PCOMPACT-BENCH-EXIT: \([0-9]*\).*/\1/p' "$console" | tail -1)
	[ -n "$st" ] || { tail -n 20 "$console" >&2; die "the benchmark did not finish (whole log: $console)"; }
	exit "$st"
fi

logdir=${logdir:-$LOG_DIR/boot}
mkdir -p "$logdir"
console=$logdir/console.log tests=$logdir/tests.log
rm -f "$console" "$tests"
log "boot: batch run ($run), $cpus CPUs, $mem MiB, 2 nodes; console: $console"
start=$(date +%s)
rc=0
third=()
[ $run != stress ] || { rm -f "$logdir/mm-selftests.log"; third=(-serial "file:$logdir/mm-selftests.log"); }
timeout -k 10 "$tmo" "${QEMU[@]}" -monitor none -serial "file:$console" -serial "file:$tests" "${third[@]}" \
	-append "$CMDLINE pcompact.run=$run" >"$logdir/qemu.log" 2>&1 || rc=$?
log "boot: guest ran $(($(date +%s) - start)) s"
if [ $rc = 124 ] || [ $rc = 137 ]; then
	tail -n 30 "$console" >&2
	die "the guest did not power off within $tmo s (console above; whole log: $console)"
fi
[ $rc = 0 ] || { cat "$logdir/qemu.log" >&2; die "qemu failed (exit $rc)"; }
if grep -q 'Kernel panic' "$console"; then
	grep -A20 'Kernel panic' "$console" >&2
	die "the guest kernel panicked (whole log: $console)"
fi
grep -q 'PCOMPACT-TESTS-EXIT:' "$console" ||
	{ tail -n 30 "$console" >&2; die "the in-guest tests did not finish (whole log: $console)"; }
# the stress's results are read by scripts/stress.sh
[ $run != stress ] || { st=$(sed -n 's/.*PCOMPACT-TESTS-EXIT: \([0-9]*\).*/\1/p' "$console" | tail -n 1); exit "${st:-1}"; }

# Results, through the kernel's own KTAP parser.
kunit_py=${KUNIT_TREE:-$KERNEL_TREE}/tools/testing/kunit/kunit.py
status=0
echo "KUnit at boot:" >&2
python3 "$kunit_py" parse "$console" >"$logdir/kunit-boot.txt" 2>&1 || status=1
grep -E '^\[..:..:..\] (Testing complete|.*(FAILED|CRASHED))|^(Testing complete|.*FAILED)' \
	"$logdir/kunit-boot.txt" >&2 || tail -n 5 "$logdir/kunit-boot.txt" >&2
echo "In-guest tests:" >&2
# kunit.py knows the SKIP directive only: a known gap ("not ok N NAME #
# TODO WHY", guest/lib.sh) goes to it as a skip that says TODO, and is
# listed in todo.txt; tests.log keeps the KTAP as the guest wrote it.
sed -E 's/^( *)not ok ([0-9]+) (.*) # TODO (.*)$/\1ok \2 \3 # SKIP TODO \4/' "$tests" >"$logdir/tests-parsed.log"
grep -E '^ *not ok [0-9]+ .* # TODO ' "$tests" | sed -E 's/^ *not ok [0-9]+ //' >"$logdir/todo.txt" || true
python3 "$kunit_py" parse "$logdir/tests-parsed.log" >"$logdir/guest-tests.txt" 2>&1 || status=1
grep -E 'Testing complete|FAILED|CRASHED' "$logdir/guest-tests.txt" >&2 || tail -n 5 "$logdir/guest-tests.txt" >&2
grep -q 'PCOMPACT-TESTS-EXIT: 0' "$console" || status=1
exit $status
