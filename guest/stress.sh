#!/bin/sh
# The storm (make stress; scripts/stress.sh boots the debug kernel with
# pcompact.run=stress): for SECS seconds, all at once, racing kcompactd:
#   frag     fragmentation and refill cycles with the pattern-verifying
#            workloads, on each node in turn: fragment, thpalloc (2 MiB and
#            the mTHP sizes the kernel has) and khugehog.ko
#   knobs    every knob of proactive compaction the kernel has, written by
#            three processes at once (two as root, one as nobody), valid
#            and invalid values, with proactiveness swept across 0..100,
#            the per-node triggers and compact_memory now and then
#   memory   memory blocks of ZONE_MOVABLE offlined and onlined through
#            /sys/devices/system/memory (boot with movablecore=)
#   dimm     blocks the host hot-adds (a QEMU pc-dimm over QMP) onlined as
#            they come; the host removes the DIMM again (ACPI eject, which
#            offlines them)
#   cpu      CPU 1 offlined and onlined
#   mglru    MGLRU switched on and off
# then every workload is stopped, verifies its memory, and the summary is
# printed: one line "STRESS-SUMMARY {json}" with what was done, and
# "STRESS-EXIT: N" (0: no changed page, no knob that took a value it must
# refuse or refused one it must take).
#
# usage: /tests/stress.sh [SECS]   (default: pcompact.stress_secs= of the
#                                   kernel command line, else 120)
SECS=${1:-} PLANT=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	pcompact.stress_secs=*) [ -n "$SECS" ] || SECS=${arg#*=} ;;
	pcompact.plant=*) PLANT=${arg#*=} ;;	# make check-selftest's defects
	esac
done
SECS=${SECS:-120}
C=/tmp/stress	# one file per counter, one byte per event
rm -rf $C
mkdir -p $C/out
END=$(($(date +%s) + SECS))
running() { [ "$(date +%s)" -lt $END ]; }
count() { printf x >>"$C/$1"; }
n() { [ -f "$C/$1" ] && wc -c <"$C/$1" | tr -d ' ' || echo 0; }
say() { echo "# stress: $*"; }
VM=/proc/sys/vm
NODES=$(ls -d /sys/devices/system/node/node[0-9]* | sed 's/.*node//' | tr '\n' ' ')
PMD_ORDER=9

# ---- frag: the workloads, verifying their memory ------------------------
# record WORKLOAD OUTFILE STATUS: pages verified, changed pages, errors
record() {
	v=$(sed -n 's/.*"event":"verified","pages":\([0-9]*\),"corrupt_pages":\([0-9]*\).*/\1 \2/p' "$2" |
		awk '{ p += $1; c += $2 } END { print p + 0, c + 0 }')
	echo "${v% *}" >>$C/verified.list
	if [ "${v#* }" != 0 ] || [ "$3" = 1 ]; then
		count corrupt
		cp "$2" "$C/out/corrupt-$1-$(n corrupt)"
		say "$1 reported changed pages: $(cat "$2" | head -c 400)"
	elif [ "$3" != 0 ]; then
		count workload_errors
		cp "$2" "$C/out/error-$1-$(n workload_errors)"
	fi
	count "runs_$1"
}
MTHP=$(ls -d /sys/kernel/mm/transparent_hugepage/hugepages-*kB 2>/dev/null |
	sed 's/.*hugepages-\([0-9]*\)kB/\1/' | grep -v '^2048$' | head -n 3 | tr '\n' ' ')
for s in $MTHP; do echo inherit >/sys/kernel/mm/transparent_hugepage/hugepages-${s}kB/enabled; done
echo always >/sys/kernel/mm/transparent_hugepage/enabled
KO=$(ls /bench/modules/*/khugehog.ko 2>/dev/null | head -n 1)
frag_loop() {
	i=0
	while running; do
		i=$((i + 1))
		for node in $NODES; do
			running || break
			o=$C/out/frag.out
			# the planted corruption: the first run flips a byte (-C)
			cflag=
			[ "$PLANT" = corrupt ] && [ ! -f $C/planted ] && { cflag=-C; : >$C/planted; say "PLANTED: fragment -C flips a byte"; }
			# shellcheck disable=SC2086
			timeout -s TERM 60 fragment -n "$node" -F 96 -t 8 $cflag >$o 2>&1
			record fragment $o $?
			running || break
			s=2048
			[ $((i % 2)) = 0 ] && [ -n "$MTHP" ] && s=$(echo $MTHP | tr ' ' '\n' | sed -n "$((i / 2 % $(echo $MTHP | wc -w) + 1))p")
			timeout -s TERM 60 thpalloc -s "$s" -U 128 -n "$node" -t 3 >$o 2>&1
			record thpalloc $o $?
		done
		if [ -n "$KO" ] && running; then
			if insmod "$KO" count=32 order=$PMD_ORDER 2>$C/out/insmod.err; then
				sleep 2
				rmmod khugehog
				dmesg | sed -n 's/.*khugehog: //p' | tail -n 4 >$C/out/kh.out
				record khugehog $C/out/kh.out 0
			else
				count workload_errors
			fi
		fi
	done
}

# ---- knobs: valid and invalid writes, root and nobody --------------------
NP=	# the per-node proactiveness files, where the kernel has them
for node in $NODES; do
	f=/sys/devices/system/node/node$node/compaction/proactiveness
	[ -e $f ] && NP="$NP $f"
done
# KNOBS: file|valid values|invalid values
KNOBS="$VM/compaction_proactiveness|0 1 10 20 50 80 99 100|-1 101 abc 1x 99999999999
$VM/extfrag_threshold|0 250 500 1000|-1 1001 x
$VM/compact_unevictable_allowed|0 1|2 -1 y"
[ -e $VM/compaction_proactive_order ] &&
	KNOBS="$KNOBS
$VM/compaction_proactive_order|1 4 $PMD_ORDER|0 -1 $((PMD_ORDER + 1)) 64 z"
for f in $NP; do
	KNOBS="$KNOBS
$f|-1 0 5 20 60 100|-2 101 abc 1.5"
done
nknobs=$(echo "$KNOBS" | grep -c .)
# pick LIST N: the (N mod count)th word of LIST
# shellcheck disable=SC2086
pick() { echo $1 | tr ' ' '\n' | sed -n "$(($2 % $(echo $1 | wc -w) + 1))p"; }
knob_loop() {
	who=$1 uid=
	[ "$who" = nobody ] && uid="-u 65534"
	k=0
	while running; do
		k=$((k + 1))
		line=$(echo "$KNOBS" | sed -n "$((RANDOM % nknobs + 1))p")
		f=${line%%|*} rest=${line#*|}
		valid=${rest%%|*} invalid=${rest#*|}
		# what the kernel must answer: ok, EINVAL for a bad value, EACCES
		# for anyone but root
		if [ $((RANDOM % 3)) = 0 ]; then v=$(pick "$invalid" $RANDOM) want=EINVAL; else v=$(pick "$valid" $RANDOM) want=ok; fi
		[ "$who" = nobody ] && want=EACCES
		# shellcheck disable=SC2086
		r=$(kwrite $uid "$f" "$v" 2>&1)
		case "$r" in ok*) count knob_accepted; got=ok ;; *) count knob_refused; got=$r ;; esac
		if [ "$got" != $want ]; then
			count knob_violations
			say "$who wrote '$v' to $f: $r (expected: $want)"
		fi
		# now and then the heavy ones: a node's compaction, all of it
		if [ "$who" = root1 ] && [ $((k % 40)) = 0 ]; then
			kwrite /sys/devices/system/node/node$(pick "$NODES" $RANDOM)/compact 1 >/dev/null && count node_compact
		fi
		if [ "$who" = root2 ] && [ $((k % 100)) = 0 ]; then
			kwrite $VM/compact_memory 1 >/dev/null && count compact_memory
		fi
	done
}
sweep_loop() {
	p=0
	while running; do
		kwrite $VM/compaction_proactiveness $p >/dev/null && count sweep_writes
		p=$(((p + 7) % 101))
		sleep 1
	done
}

# ---- memory: offline and online the movable blocks -----------------------
MEM=/sys/devices/system/memory
MOVABLE=
for b in $MEM/memory[0-9]*; do
	grep -q Movable $b/valid_zones 2>/dev/null && [ "$(cat $b/state)" = online ] &&
		MOVABLE="$MOVABLE ${b##*/}"
done
mem_loop() {
	[ -n "$MOVABLE" ] || { say "no movable memory block: boot with movablecore="; return; }
	while running; do
		b=$(pick "$MOVABLE" $RANDOM)
		if echo offline >$MEM/$b/state 2>/dev/null; then
			count offline_ok
			sleep 1
			if echo online_movable >$MEM/$b/state 2>/dev/null; then count online_ok; else
				count online_refused
				say "$b: online refused"
			fi
		else
			count offline_refused
		fi
		sleep 1
	done
}
# the DIMM's blocks, those that were not there at boot: count each one
# that appears (a block's sysfs directory is made anew on each hot-add:
# its phys_index and the directory's time tell one hot-add from the
# next), and online it if the kernel left it offline (the stress boots
# with memhp_default_state=online_movable, so that it can go again)
BOOT_BLOCKS=$(ls -d $MEM/memory[0-9]* | sed 's|.*/||' | tr '\n' ' ')
dimm_loop() {
	: >$C/dimm.seen
	while running; do
		for b in $MEM/memory[0-9]*; do
			case " $BOOT_BLOCKS " in *" ${b##*/} "*) continue ;; esac
			id=$(cat $b/phys_index 2>/dev/null) t=$(stat -c %Y $b 2>/dev/null)
			[ -n "$id" ] && [ -n "$t" ] || continue	# it went while we looked
			key="$id $t"
			grep -qxF "$key" $C/dimm.seen || {
				echo "$key" >>$C/dimm.seen
				count dimm_block_seen
				say "DIMM-BLOCK ${b##*/} $(cat $b/state 2>/dev/null) (phys_index $key)"
			}
			[ "$(cat $b/state 2>/dev/null)" = offline ] || continue
			if echo online_movable >$b/state 2>/dev/null; then count dimm_block_onlined; else count dimm_block_refused; fi
		done
		usleep 200000
	done
}

# ---- cpu and mglru -------------------------------------------------------
cpu_loop() {
	c=/sys/devices/system/cpu/cpu1/online
	[ -w $c ] || { say "cpu1 cannot go offline"; return; }
	while running; do
		if echo 0 >$c 2>/dev/null; then count cpu_offline_ok; else count cpu_offline_refused; fi
		sleep 1
		if echo 1 >$c 2>/dev/null; then count cpu_online_ok; else count cpu_online_refused; fi
		sleep 1
	done
	echo 1 >$c 2>/dev/null
}
mglru_loop() {
	g=/sys/kernel/mm/lru_gen/enabled
	[ -w $g ] || { say "no MGLRU"; return; }
	while running; do
		echo n >$g && count mglru_off
		sleep 3
		echo y >$g && count mglru_on
		sleep 3
	done
}

# ---- the passes kcompactd ran, from its own trace instance ----------------
T=/sys/kernel/tracing/instances/stress
mkdir -p $T
echo 1 >$T/events/compaction/mm_compaction_end/enable
[ -e $T/events/compaction/mm_compaction_proactive ] &&
	echo 1 >$T/events/compaction/mm_compaction_proactive/enable
cat $T/trace_pipe >$C/out/trace.raw &
tracer=$!

v0=$(grep -E '^(pgmigrate_success|compact_migrate_scanned|compact_free_scanned|compact_daemon_wake) ' /proc/vmstat)
say "$SECS s on nodes $NODES; movable blocks:$MOVABLE; mTHP sizes: ${MTHP:-none}; khugehog: ${KO:-none}; knobs: $nknobs"
pids=
frag_loop & pids="$pids $!"
knob_loop root1 & pids="$pids $!"
knob_loop root2 & pids="$pids $!"
knob_loop nobody & pids="$pids $!"
sweep_loop & pids="$pids $!"
mem_loop & pids="$pids $!"
dimm_loop & pids="$pids $!"
cpu_loop & pids="$pids $!"
mglru_loop & pids="$pids $!"
echo "STRESS-RUNNING"	# the host's QMP driver starts its DIMM cycles here
# the planted WARN, a third of the way in
if [ "$PLANT" = warn ]; then
	(
		sleep $((SECS / 3))
		say "PLANTED: insmod plant_warn.ko (a WARN)"
		insmod /bench/modules/plant/plant_warn.ko && rmmod plant_warn
	) &
	pids="$pids $!"
fi
while running; do
	sleep 30
	left=$((END - $(date +%s)))
	[ $left -ge 0 ] || left=0
	say "$left s left: $(n knob_accepted) knob writes taken, $(n offline_ok) offlines, $(n cpu_offline_ok) CPU cycles, $(n runs_fragment) fragment runs"
done
echo "STRESS-STOPPING"	# the host's QMP driver adds no more DIMMs
# the loops end at END; a workload in flight finishes its verification
# shellcheck disable=SC2086
wait $pids
kill $tracer 2>/dev/null
wait $tracer 2>/dev/null
echo 1 >/sys/devices/system/cpu/cpu1/online 2>/dev/null
for b in $MOVABLE; do [ "$(cat $MEM/$b/state)" = online ] || echo online_movable >$MEM/$b/state; done
v1=$(grep -E '^(pgmigrate_success|compact_migrate_scanned|compact_free_scanned|compact_daemon_wake) ' /proc/vmstat)
delta() { printf '%s\n%s\n' "$v0" "$v1" | awk -v k="$1" '$1 == k { v[n++] = $2 } END { print v[1] - v[0] }'; }
passes=$(grep -c 'kcompactd.*mm_compaction_end:' $C/out/trace.raw)
proactive=$(grep -c 'mm_compaction_proactive:' $C/out/trace.raw)
verified=$(awk '{ s += $1 } END { print s + 0 }' $C/verified.list 2>/dev/null || echo 0)
rc=0
[ "$(n corrupt)" = 0 ] || rc=1
[ "$(n knob_violations)" = 0 ] || rc=1
printf 'STRESS-SUMMARY {"secs":%s,"knob_writes_accepted":%s,"knob_writes_refused":%s,"knob_violations":%s,' \
	"$SECS" "$(n knob_accepted)" "$(n knob_refused)" "$(n knob_violations)"
printf '"sweep_writes":%s,"node_compact":%s,"compact_memory":%s,' "$(n sweep_writes)" "$(n node_compact)" "$(n compact_memory)"
printf '"offline_ok":%s,"offline_refused":%s,"online_ok":%s,"online_refused":%s,' \
	"$(n offline_ok)" "$(n offline_refused)" "$(n online_ok)" "$(n online_refused)"
printf '"dimm_blocks_seen":%s,"dimm_blocks_onlined":%s,"dimm_blocks_refused":%s,' "$(n dimm_block_seen)" "$(n dimm_block_onlined)" "$(n dimm_block_refused)"
printf '"cpu_offline_ok":%s,"cpu_offline_refused":%s,"cpu_online_ok":%s,"cpu_online_refused":%s,' \
	"$(n cpu_offline_ok)" "$(n cpu_offline_refused)" "$(n cpu_online_ok)" "$(n cpu_online_refused)"
printf '"mglru_switches":%s,"kcompactd_passes":%s,"proactive_passes":%s,"pages_migrated":%s,' \
	"$(($(n mglru_on) + $(n mglru_off)))" "$passes" "$proactive" "$(delta pgmigrate_success)"
printf '"runs_fragment":%s,"runs_thpalloc":%s,"runs_khugehog":%s,"pages_verified":%s,"changed_page_runs":%s,"workload_errors":%s}\n' \
	"$(n runs_fragment)" "$(n runs_thpalloc)" "$(n runs_khugehog)" "$verified" "$(n corrupt)" "$(n workload_errors)"
for f in $C/out/corrupt-* $C/out/error-*; do
	[ -f "$f" ] || continue
	say "${f##*/}:"
	sed 's/^/#   /' "$f" | head -n 20
done
echo "STRESS-EXIT: $rc"
exit $rc
