#!/bin/sh
# The proactive compaction knobs of v1 (the 6.12 backport): every writable
# sysfs file against a table of valid and invalid inputs (the value read
# back and the errno checked), writes by an unprivileged user, sysctl and
# sysfs coherence, per-node overrides, racing writers, and a silent dmesg.
. /tests/lib.sh
requires sysfs-proactiveness node-knobs node-score-files proactive-counters proactive-order

O=/sys/kernel/mm/compaction/proactive_order

# Input tables, one "INPUT|WHAT" per line, as in guest/lib.sh (kwrite's
# escapes; @LONG1 and @LONG0 for 5000 ones and zeros). The sysctl's own
# tables are there too: sysctl.sh runs them on every base.

# "INPUT|VALUE READ BACK|WHAT"
global_valid() {
	cat <<'T'
0|0|zero, off
1|1|one
100|100|the maximum
100\n|100|with a trailing newline
+5|5|a plus sign, as kstrtoint reads it
007|7|leading zeros
20\n|20|the default again
T
}
global_range() {
	cat <<'T'
101|above 100
1000|far above 100
-1|negative
-2|negative two
-100|minus one hundred
2147483647|INT_MAX
-2147483648|INT_MIN
T
}
node_valid() {
	cat <<'T'
0|0|zero, off on this node
50|50|an override
100|100|the maximum
+7|7|a plus sign
007|7|leading zeros
-1\n|-1|minus one, follow the global value
T
}
node_range() {
	cat <<'T'
101|above 100
-2|below -1
-100|minus one hundred
1000|far above 100
2147483647|INT_MAX
-2147483648|INT_MIN
T
}
# proactive_order: "auto" or an order from 2 to pageblock_order (9 here)
order_valid() {
	cat <<'T'
4|4|order 4 (64 KiB)
9\n|9|order 9, the highest (pageblock_order), and a newline
2|2|the lowest order, the smallest anonymous THP
+4|4|a plus sign
04|4|a leading zero
auto\n|auto|auto and a newline
3|3|order 3
auto|auto|auto, the default
T
}
order_range() {
	cat <<'T'
0|order 0
1|order 1, no THP size
-1|minus one, which is not auto
10|above pageblock_order (MAX_PAGE_ORDER here)
11|above MAX_PAGE_ORDER
100|one hundred
2147483647|INT_MAX
-2147483648|INT_MIN
AUTO|AUTO in capitals
Auto|Auto
 auto|a space then auto
auto |auto then a space
auto\n\n|auto and two newlines
autox|auto then a letter
aut|a prefix of auto
auto 4|auto and an order
4 auto|an order and auto
auto\0|auto then NUL
auto\0x|auto, NUL, garbage
T
}
trigger_valid() {
	cat <<'T'
1|-|one
1\n|-|one and a newline
+1|-|a plus sign
01|-|a leading zero
T
}
trigger_range() {
	cat <<'T'
0|zero
2|two
-1|minus one
-0|minus zero
10|ten
11|eleven
100|one hundred
2147483647|INT_MAX
T
}

n_sysfs=$(nlines sysfs_invalid)
plan=0
plan=$((plan + $(nlines global_valid) + n_sysfs + $(nlines global_range)))
plan=$((plan + 2 * ($(nlines node_valid) + n_sysfs + $(nlines node_range))))
plan=$((plan + 2 * ($(nlines trigger_valid) + n_sysfs + $(nlines trigger_range))))
plan=$((plan + $(nlines order_valid) + n_sysfs + $(nlines order_range)))
plan=$((plan + 22))

dmesg_before=$(dmesg | wc -l)
ktap_print_header
ktap_set_plan $plan

# ---- 1. the files and their modes ----------------------------------------
modes() {
	for f in $G $N/node0/compaction/proactiveness $N/node1/compaction/proactiveness; do
		eq "$(stat -c '%a %U' $f)" "644 root" || return 1
	done
	for f in fragmentation_score score_wmark_low score_wmark_high; do
		eq "$(stat -c '%a %U' $N/node1/compaction/$f)" "444 root" || return 1
	done
	eq "$(stat -c '%a %U' $N/node1/compaction/proactive_compact)" "200 root" || return 1
	eq "$(stat -c '%a %U' $O)" "644 root" || return 1
	eq "$(stat -c '%a %U' $N/node0/compaction/proactive_order)" "444 root"
}
expect "files_and_modes" modes
expect "default_proactive_order_auto_in_force_9" eq \
	"$(cat $O $N/node0/compaction/proactive_order $N/node1/compaction/proactive_order | tr '\n' ' ')" \
	"auto 9 9 "
expect "defaults_global_20_nodes_minus_1" eq \
	"$(cat $G $S $N/node0/compaction/proactiveness $N/node1/compaction/proactiveness | tr '\n' ' ')" \
	"20 20 -1 -1 "

# ---- 2. tables: every writable file ---------------------------------------
# (tables go through a file: a pipe would run the checks in a subshell,
# and the KTAP test counters with them)
global_valid >/tmp/t; good global $G </tmp/t
{ sysfs_invalid; global_range; } >/tmp/t; bad global $G </tmp/t
order_valid >/tmp/t; good proactive_order $O </tmp/t
{ sysfs_invalid; order_range; } >/tmp/t; bad proactive_order $O </tmp/t
# Every node shows the order in force, which follows the knob.
in_force() {
	kwrite $O 4 >/dev/null
	eq "$(cat $N/node0/compaction/proactive_order $N/node1/compaction/proactive_order | tr '\n' ' ')" "4 4 " || return 1
	kwrite $O auto >/dev/null
	eq "$(cat $O $N/node0/compaction/proactive_order $N/node1/compaction/proactive_order | tr '\n' ' ')" "auto 9 9 "
}
expect "nodes_show_the_order_in_force" in_force
for n in 0 1; do
	f=$N/node$n/compaction/proactiveness
	node_valid >/tmp/t; good node${n}_proactiveness $f </tmp/t
	{ sysfs_invalid; node_range; } >/tmp/t; bad node${n}_proactiveness $f </tmp/t
done

# proactive_compact has no value to read back: a refused write must not
# run a pass, so the node's pass counter must not move.
for n in 0 1; do
	f=$N/node$n/compaction/proactive_compact
	stat_refresh
	w0=$(nstat $n compact_proactive_pass)
	trigger_valid >/tmp/t; good node${n}_proactive_compact $f </tmp/t
	stat_refresh
	w1=$(nstat $n compact_proactive_pass)
	{ sysfs_invalid; trigger_range; } >/tmp/t; bad node${n}_proactive_compact $f </tmp/t
	stat_refresh
	w2=$(nstat $n compact_proactive_pass)
	expect "node${n}_proactive_compact_valid_writes_ran_4_passes" eq "$((w1 - w0))" 4
	expect "node${n}_proactive_compact_refused_writes_ran_no_pass" eq "$((w2 - w1))" 0
done

# A write of no bytes at all never reaches the store: it writes nothing.
zero() { eq "$(kwrite "$1" '')" "ok 0" && eq "$(cat "$1")" "$2"; }
expect "global_zero_byte_write_changes_nothing" zero $G 20
expect "node1_zero_byte_write_changes_nothing" zero $N/node1/compaction/proactiveness -1

# ---- 3. an unprivileged user -----------------------------------------------
nonroot() {
	for f in $G $S $O $N/node0/compaction/proactiveness $N/node1/compaction/proactiveness \
		 $N/node0/compaction/proactive_compact $N/node1/compaction/proactive_compact; do
		before=$(readback $f)
		got=$(kwrite -u 65534 $f 5)
		eq "$got" EACCES || { ktap_print_msg "$f as uid 65534"; return 1; }
		eq "$(readback $f)" "$before" || return 1
	done
}
expect "uid_65534_gets_EACCES_on_every_writable_file" nonroot

# ---- 4. one value: sysctl and sysfs ---------------------------------------
expect "sysfs_write_shows_in_sysctl" sh -c "kwrite $G 35 >/dev/null; [ \$(cat $S) = 35 ]"
expect "sysctl_write_shows_in_sysfs" sh -c "kwrite $S 45 >/dev/null; [ \$(cat $G) = 45 ]"

# Both writes wake every node's kcompactd at once (wakes, guest/lib.sh).
expect "sysfs_write_wakes_kcompactd_on_both_nodes" wakes $G 25
expect "sysctl_write_wakes_kcompactd_on_both_nodes" wakes $S 20

# ---- 5. per-node overrides -------------------------------------------------
wm() { echo "$(cat $N/node$1/compaction/score_wmark_low)/$(cat $N/node$1/compaction/score_wmark_high)"; }
override() {
	kwrite $N/node1/compaction/proactiveness 50 >/dev/null
	eq "$(wm 1) $(wm 0)" "50/60 80/90" || return 1
	kwrite $G 30 >/dev/null
	eq "$(wm 1) $(wm 0)" "50/60 70/80" || return 1
	kwrite $N/node1/compaction/proactiveness -1 >/dev/null
	eq "$(wm 1) $(wm 0)" "70/80 70/80" || return 1
	kwrite $N/node0/compaction/proactiveness 0 >/dev/null
	eq "$(wm 1) $(wm 0)" "70/80 100/100" || return 1
	kwrite $N/node0/compaction/proactiveness -1 >/dev/null
	kwrite $G 20 >/dev/null
	eq "$(wm 1) $(wm 0)" "80/90 80/90"
}
expect "node_override_moves_only_that_nodes_thresholds" override
scores() {
	for n in 0 1; do
		s=$(cat $N/node$n/compaction/fragmentation_score)
		ktap_print_msg "node$n fragmentation_score $s"
		[ "$s" -ge 0 ] && [ "$s" -le 100 ] || return 1
	done
}
expect "fragmentation_score_in_0_to_100" scores

# ---- 6. racing writers -----------------------------------------------------
expect "racing_sysfs_writers_leave_a_written_value" race $G $G
expect "racing_sysctl_and_sysfs_writers_leave_a_written_value" race $S $G
node_race() {
	f=$N/node1/compaction/proactiveness
	kwrite -n 3000 $f -1 >/tmp/race.1 &
	kwrite -n 3000 $f 100 >/tmp/race.2 &
	kwrite -n 3000 $f -2 >/tmp/race.3 &
	seen=$(kwrite -R 3000 $f)
	wait
	ktap_print_msg "values seen: $seen"
	for v in $seen; do
		case $v in -1 | 100) ;; *) return 1 ;; esac
	done
	kwrite $f -1 >/dev/null
	[ "$(cat $f)" = -1 ]
}
expect "racing_node_writers_leave_a_written_value" node_race

# ---- 7. nothing in dmesg ---------------------------------------------------
expect "no_dmesg_output_from_any_of_it" dmesg_quiet_since "$dmesg_before"
expect "settings_restored" eq \
	"$(cat $G $S $O $N/node0/compaction/proactiveness $N/node1/compaction/proactiveness | tr '\n' ' ')" \
	"20 20 auto -1 -1 "

ktap_finished
