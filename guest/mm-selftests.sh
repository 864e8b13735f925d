#!/bin/sh
# The kernel's own mm selftests (built static by scripts/mm-selftests.sh,
# in /tests/mm), as one KTAP document: a subtest per run, with the
# program's own KTAP output nested in it, as kunit.py parses it. Each run
# has a time cap (MM_SELFTEST_CAP seconds, default 600; the selftests'
# own timeout is 900); a run that hits it fails, saying so.
#
# usage: /tests/mm-selftests.sh [RUN...]   (default: every run below;
#        a RUN is a program name, all its runs then)
#
# The prerequisites are set here, so that nothing skips for want of them:
# hugetlb pages reserved for uffd-stress's hugetlb run (compaction_test
# sets its own), THP on "madvise" at least, the debugfs that
# split_huge_page_test writes and a tmpfs with huge=always for its page
# cache part. Exit status 0 if every run passed.
BIN=/tests/mm
CAP=${MM_SELFTEST_CAP:-600}
# name|command line: the runs of tools/testing/selftests/mm/run_vmtests.sh
# for these programs (anonymous memory, hugetlb and shmem; no XFS here)
RUNS='compaction_test|compaction_test
transhuge-stress|transhuge-stress -d 20
split_huge_page_test|split_huge_page_test /mnt/thp
khugepaged|khugepaged
khugepaged -s 2|khugepaged -s 2
cow|cow
uffd-stress anon|uffd-stress anon 20 16
uffd-stress hugetlb|uffd-stress hugetlb 128 32
uffd-stress shmem|uffd-stress shmem 20 16
migration|migration'

# pcompact.mm=RUN,RUN (spaces as "+") on the kernel command line: only those
if [ $# = 0 ]; then
	for arg in $(cat /proc/cmdline); do
		# shellcheck disable=SC2046
		case "$arg" in pcompact.mm=*) set -- $(echo "${arg#pcompact.mm=}" | tr ',' ' ') ;; esac
	done
fi
if [ $# -gt 0 ]; then
	sel=
	for want in "$@"; do
		want=$(echo "$want" | tr '+' ' ')
		sel="$sel$(echo "$RUNS" | awk -F'|' -v w="$want" '$1 == w || $1 ~ "^" w " " { print }')
"
	done
	RUNS=$(echo "$sel" | grep .) || { echo "no such run: $*" >&2; exit 2; }
fi

thp=/sys/kernel/mm/transparent_hugepage
grep -q '\[never\]' $thp/enabled && echo madvise >$thp/enabled
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# split_huge_page_test splits page cache THPs in a directory it is given:
# a tmpfs with huge=always has them (the default /tmp has none, and the
# test would skip that part)
mkdir -p /mnt/thp
mountpoint -q /mnt/thp || mount -t tmpfs -o huge=always,size=256M thp /mnt/thp

n=$(echo "$RUNS" | grep -c .)
echo "KTAP version 1"
echo "1..$n"
i=0 rc=0
while IFS='|' read -r name cmd; do
	i=$((i + 1))
	echo "    KTAP version 1"
	echo "    # Subtest: $name"
	case "$name" in
	'uffd-stress hugetlb')
		# two areas of 128 MiB in 2 MiB pages, and some to spare
		echo 160 >/proc/sys/vm/nr_hugepages
		echo "    # nr_hugepages: $(cat /proc/sys/vm/nr_hugepages) of 160"
		;;
	esac
	t0=$(date +%s)
	# shellcheck disable=SC2086
	(cd $BIN && timeout -s KILL "$CAP" ./$cmd) >/tmp/mm-selftest.out 2>&1
	st=$?
	t=$(($(date +%s) - t0))
	sed 's/^/    /' /tmp/mm-selftest.out
	echo 0 >/proc/sys/vm/nr_hugepages
	totals=$(grep -o 'Totals: .*' /tmp/mm-selftest.out | tail -n 1)
	case $st in
	0) echo "ok $i $name # ${t}s $totals" ;;
	4) echo "ok $i $name # SKIP the program skipped (exit 4) $totals" ;;
	137) echo "not ok $i $name # timed out after ${CAP}s"; rc=1 ;;
	*) echo "not ok $i $name # exit $st after ${t}s $totals"; rc=1 ;;
	esac
done <<RUNS_EOF
$RUNS
RUNS_EOF
exit $rc
