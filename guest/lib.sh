#!/bin/sh
# Shared by the in-guest suites (installed as /tests/lib.sh): the kernel's
# ktap_helpers.sh plus the two checks every suite uses.
. /tests/ktap_helpers.sh

# expect NAME COMMAND...: pass if COMMAND succeeds, else fail with a message
expect() {
	desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_print_msg "failed: $*"
		ktap_test_fail "$desc"
	fi
}

# The base and the features its series declares (scripts/initramfs.sh)
BASE_NAME=$(cat /tests/base 2>/dev/null)
FEATURES=$(cat /tests/features 2>/dev/null | tr '\n' ' ')
have() { case " $FEATURES " in *" $1 "*) return 0 ;; esac; return 1; }
# requires FEATURE...: the suite tests these. When the series does not
# declare one, the suite is one KTAP skip that names what is missing, not
# a silent pass: this is a series without that feature, not a test of it.
requires() {
	missing=
	for f in "$@"; do have "$f" || missing="$missing $f"; done
	[ -z "$missing" ] && return 0
	ktap_print_header
	ktap_set_plan 1
	ktap_test_skip "$(basename "$0" .sh): the series on $BASE_NAME does not declare:$missing"
	ktap_finished
}
# Known gaps of the series on this base: "FEATURE:REVIEW-POINT" lines
# (BASE_KNOWN_GAPS of the pin): the feature's tests run, and their result
# is a KTAP "# TODO" naming the review point, not a pass or a failure.
GAPS=$(cat /tests/gaps 2>/dev/null | tr '\n' ' ')
gap() {
	for g in $GAPS; do
		[ "${g%%:*}" = "$1" ] && { echo "${g#*:}"; return 0; }
	done
	return 1
}
# ktap_test_todo NAME WHY: "not ok N NAME # TODO WHY". The kselftest
# helpers have no TODO, and 6.12's count no expected failures either:
# the TODOs are counted here, and ktap_finished below counts them in.
KTAP_CNT_TODO=0
ktap_test_todo() {
	__ktap_test "not ok" "$1" "TODO $2"
	KTAP_CNT_TODO=$((KTAP_CNT_TODO + 1))
}
ktap_finished() {
	ktap_print_totals
	[ "$KTAP_CNT_TODO" = 0 ] || echo "# $KTAP_CNT_TODO known gap(s) reported as TODO"
	[ $((KTAP_CNT_PASS + KTAP_CNT_SKIP + ${KTAP_CNT_XFAIL:-0} + KTAP_CNT_TODO)) -eq "$KSFT_NUM_TESTS" ] &&
		exit "$KSFT_PASS"
	exit "$KSFT_FAIL"
}
# expect_if FEATURE NAME COMMAND...: expect, if the series declares
# FEATURE; a known gap: run it, and a failure is a TODO naming the review
# point (a pass is a pass: a gap need not show in every test of its
# feature); else a KTAP skip naming the feature
expect_if() {
	f=$1
	shift
	if have "$f"; then
		expect "$@"
	elif why=$(gap "$f"); then
		desc=$1
		shift
		if "$@"; then
			ktap_print_msg "$desc passes in spite of the known gap $why ($f)"
			ktap_test_pass "$desc"
		else
			ktap_test_todo "$desc" "$why: a known gap of the series on $BASE_NAME ($f)"
		fi
	else
		ktap_test_skip "$1: the series on $BASE_NAME does not declare $f"
	fi
}

# eq GOT WANT: equal, or say what differs
eq() {
	[ "$1" = "$2" ] && return 0
	ktap_print_msg "expected '$2', got '$1'"
	return 1
}

# ---- knobs: input tables and their checks ---------------------------------
# Tables have one "INPUT|WHAT" (refused) or "INPUT|VALUE READ BACK|WHAT"
# (taken) per line. INPUT uses kwrite's escapes (\n \t \r \0 \xHH); @LONG1
# and @LONG0 stand for 5000 ones and zeros.
S=/proc/sys/vm/compaction_proactiveness
LONG1=$(head -c 5000 /dev/zero | tr '\0' '1')
LONG0=$(head -c 5000 /dev/zero | tr '\0' '0')
nlines() { "$@" | grep -c .; }

# vm.compaction_proactiveness keeps proc_dointvec_minmax() parsing: it
# skips blanks and reads hex and octal, and refuses these.
sysctl_invalid() {
	cat <<'T'
\n|an empty line
 |a space
\t\n|a tab and a newline
abc|letters
x|one letter
5x|a trailing letter
x5|a leading letter
5.0|a decimal point
5,0|a comma
5e1|an exponent
--5|two minus signs
+5|a plus sign
+-5|plus then minus
- 5|a sign then a space
+|a plus sign alone
-|a minus sign alone
five|a word
NaN|NaN
inf|inf
\0|a NUL byte
5\0|a digit then NUL
5\0x|NUL then garbage
\xd9\xa5|arabic-indic digit five, UTF-8
\xef\xbc\x95|fullwidth digit five, UTF-8
\xff|a byte that is not UTF-8
99999999999999999999|u64 overflow
2147483648|int overflow
-2147483649|int underflow
101|above 100
1000|far above 100
-1|negative
-2|negative two
-100|minus one hundred
2147483647|INT_MAX
-2147483648|INT_MIN
0x65|101 in hex
0145|101 in octal
000000000000000000005|21 digits
@LONG1|5000 digits
T
}

sysctl_valid() {
	cat <<'T'
0|0|zero, off
100|100|the maximum
 20|20|a leading space
30 |30|a trailing space
0x14|20|hex, as proc_dointvec reads it
024|20|octal, as proc_dointvec reads it
-0|0|minus zero
20\n|20|the default again
T
}
# Refused by every sysfs knob of the series (kstrtoint() in base 10, one
# trailing newline, no NUL, 16 bytes): knobs.sh (v1) and nodes.sh (v2).
sysfs_invalid() {
	cat <<'T'
\n|an empty line
 |a space
\t|a tab
 \n|a space and a newline
abc|letters
x|one letter
5x|a trailing letter
x5|a leading letter
5 |a trailing space
 5|a leading space
5\n\n|two newlines
5\t|a trailing tab
5\r\n|CR LF
0x5|hexadecimal
0b1|binary
05a|digits then a letter
5.0|a decimal point
5,0|a comma
5e1|an exponent
5 6|two numbers
--5|two minus signs
+-5|plus then minus
++5|two plus signs
- 5|a sign then a space
+|a plus sign alone
-|a minus sign alone
five|a word
NaN|NaN
inf|inf
\0|a NUL byte
5\0|a digit then NUL
5\0x|NUL then garbage
\xd9\xa5|arabic-indic digit five, UTF-8
\xef\xbc\x95|fullwidth digit five, UTF-8
\xff|a byte that is not UTF-8
99999999999999999999|u64 overflow
4294967296|u32 overflow
2147483648|int overflow
-2147483649|int underflow
00000000000000005|17 bytes of valid digits, over the limit
@LONG1|5000 digits
@LONG0|5000 zeros
T
}

# what 'kwrite' prints for INPUT written to FILE
kw() {
	case "$2" in
	@LONG1) kwrite "$1" "$LONG1" ;;
	@LONG0) kwrite "$1" "$LONG0" ;;
	*) kwrite "$1" "$2" ;;
	esac
}

# readback FILE: the value, or "-" for a write-only file
readback() {
	[ -r "$1" ] && [ "$(stat -c %a "$1")" != 200 ] && cat "$1" || echo -
}

# bad NAME FILE < table: each input is -EINVAL and the value stays
bad() {
	name=$1 file=$2
	while IFS='|' read -r input what; do
		before=$(readback "$file")
		got=$(kw "$file" "$input")
		after=$(readback "$file")
		if [ "$got" = EINVAL ] && [ "$after" = "$before" ]; then
			ktap_test_pass "$name refuses $what"
		else
			ktap_print_msg "$name, input '$input': got '$got', value '$before' -> '$after'"
			ktap_test_fail "$name refuses $what"
		fi
	done
}

# good NAME FILE < table: each input is written whole and reads back
good() {
	name=$1 file=$2
	while IFS='|' read -r input value what; do
		got=$(kw "$file" "$input")
		after=$(readback "$file")
		case "$got" in "ok "[1-9]*) ok=1 ;; *) ok=0 ;; esac
		if [ $ok = 1 ] && [ "$after" = "$value" ]; then
			ktap_test_pass "$name takes $what"
		else
			ktap_print_msg "$name, input '$input': got '$got', read back '$after', expected '$value'"
			ktap_test_fail "$name takes $what"
		fi
	done
}

# race F G [LO HI BAD RESTORE]: writers of LO (0) to F, HI (100) to G and
# a refused BAD (101) to F race a reader of G: the reader only ever sees a
# value someone wrote whole. F is left at RESTORE (20).
race() {
	f=$1 g=$2 lo=${3:-0} hi=${4:-100} badv=${5:-101} restore=${6:-20}
	# the value before the writers, which the reader may see first (the
	# test before this one may have left anything valid there)
	before=$(cat $g)
	kwrite -n 3000 $f $lo >/tmp/race.1 &
	kwrite -n 3000 $g $hi >/tmp/race.2 &
	kwrite -n 3000 $f $badv >/tmp/race.3 &
	seen=$(kwrite -R 3000 $g)
	wait
	ktap_print_msg "values seen: $seen; writers: $(cat /tmp/race.1) / $(cat /tmp/race.2) / $(cat /tmp/race.3)"
	grep -q 'EINVAL=3000 ' /tmp/race.3 || return 1
	for v in $seen; do
		case $v in "$lo" | "$hi" | "$before") ;; *)
			ktap_print_msg "value $v was never written (before: $before)"
			return 1 ;;
		esac
	done
	end=$(cat $f)
	kwrite $f $restore >/dev/null
	[ "$end" = "$lo" ] || [ "$end" = "$hi" ]
}
# wakes FILE VALUE: writing VALUE to FILE wakes every node's kcompactd at
# once (the tracepoint's order -1 marks a proactive trigger)
wakes() {
	sleep 1		# let kcompactd take any earlier trigger first
	echo 1 >$TR/events/compaction/mm_compaction_wakeup_kcompactd/enable
	echo >$TR/trace
	kwrite "$1" "$2" >/dev/null
	sleep 1
	echo 0 >$TR/events/compaction/mm_compaction_wakeup_kcompactd/enable
	for n in 0 1; do
		grep -q "kwrite-.*mm_compaction_wakeup_kcompactd: nid=$n order=-1" $TR/trace || {
			ktap_print_msg "no wake-up of node $n after writing $2 to $1"
			return 1
		}
	done
}

# ---- proactive compaction: files, tracepoint, kernel log ------------------
N=/sys/devices/system/node
TR=/sys/kernel/tracing
EV=$TR/events/compaction/mm_compaction_proactive

stat_refresh() { echo 1 >/proc/sys/vm/stat_refresh; }
# dmesg_quiet_since N: the kernel log has no line after its first N
# (each new one is shown). One line is not the tests' doing and is shown
# but let pass: "hrtimer: interrupt took N ns", which the kernel prints
# once when a timer interrupt ran long, as it does under TCG on a busy
# host (seen in a knobs run while three builds shared the two cores).
dmesg_quiet_since() {
	new=$(dmesg | tail -n +$(($1 + 1)))
	noise=$(echo "$new" | grep 'hrtimer: interrupt took [0-9]* ns$')
	[ -z "$noise" ] || ktap_print_msg "dmesg, let pass (host load): $noise"
	new=$(echo "$new" | grep -v 'hrtimer: interrupt took [0-9]* ns$')
	[ -z "$new" ] && return 0
	echo "$new" | while read -r l; do ktap_print_msg "dmesg: $l"; done
	return 1
}
# dmesg_control NAME: the positive control of dmesg_quiet_since: a line
# written to the kernel log is seen
dmesg_control() {
	n=$(dmesg | wc -l)
	echo "pcompact: $1 control line" >/dev/kmsg
	! dmesg_quiet_since "$n" >/dev/null
}
# show_file FILE: every line of FILE as a KTAP diagnostic
show_file() { while read -r l; do ktap_print_msg "$l"; done <"$1"; }

# Per-cpu free lists hold pages the fragmenter's fill cannot count on:
# auto-tuned, they grow to 1/8 of a zone (64 MiB a CPU here) after large
# frees. A suite keeps them small (percpu_pagelist_high_fraction) and
# waits for them to drain before each fill. THP raises min_free_kbytes
# whenever a THP setting is written: put back the suite's 8192 each time.
pcp_pages() {
	awk -v node="${1:-1}" '$1 == "Node" { cur = ($2 == node ",") } cur && $1 == "count:" { n += $2 }
	END { print n + 0 }' /proc/zoneinfo
}
prepare_fill() {
	echo 8192 >/proc/sys/vm/min_free_kbytes
	t=0
	while [ "$(pcp_pages "${1:-1}")" -gt 1024 ] && [ $t -lt 30 ]; do
		sleep 1
		t=$((t + 1))
	done
	ktap_print_msg "node${1:-1} per-cpu lists: $(pcp_pages "${1:-1}") pages; min_free_kbytes $(cat /proc/sys/vm/min_free_kbytes)"
}

# start_frag ARGS...: fragment node 1 (fragment -n 1 ARGS, after
# prepare_fill) and wait until it is done; its PID is in $frag.
# start_frag_on NODE ARGS...: the same on NODE.
start_frag() { start_frag_on 1 "$@"; }
start_frag_on() {
	node=$1
	shift
	prepare_fill "$node"
	rm -f /tmp/frag.ready
	fragment -n "$node" "$@" -r /tmp/frag.ready >/tmp/frag.out 2>&1 &
	frag=$!
	t=0
	while [ ! -e /tmp/frag.ready ] && [ $t -lt 300 ]; do
		kill -0 $frag 2>/dev/null || break
		sleep 1
		t=$((t + 1))
	done
	show_file /tmp/frag.out
	[ -e /tmp/frag.ready ]
}
# stop PID OUT: end a workload's hold; it must verify every page
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	st=$?
	tail -n 1 "$2" >/tmp/last
	show_file /tmp/last
	[ $st = 0 ] && grep -q '"corrupt_pages":0}' "$2"
}
