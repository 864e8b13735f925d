#!/usr/bin/env bash
# make check of one base (scripts/check.sh runs it for each base in turn):
# the steps below in order, with a progress line per step; it ends with the
# line "PCOMPACT-CHECK-TOTALS PASSED FAILED" and the failures, which
# scripts/check.sh adds up (non-zero exit on any failure).
#
# usage: BASE=7.3|6.12 scripts/check-base.sh [-h]
#
# BASE_CHECK of the base's pin says which steps run: "full" (the primary,
# every step) or "backport" (every step but UML KUnit and the benchmark
# smoke: the KUnit suite runs at boot there, and the benchmarks run on the
# primary; the guards boot the unpatched base kernel, built here, when the
# pin names BASE_GUARD_SUITES).
#
#   series     the series file and the patch files agree, base-commit matches
#   am         git am of the whole series onto a fresh branch at the base
#   checkpatch scripts/checkpatch.pl --strict on every patch: no ERROR or
#              WARNING (CHECKs are listed)
#   build      after every patch, the directories it touches and mm/ (the
#              whole vmlinux after a patch that touches include/); the
#              guest kernel at the tip, with every option of
#              configs/guest.config checked
#   warnings   W=1 and sparse (C=2) on the files the series touches: nothing
#              new against the base
#   coccicheck on the files the series touches: nothing new against the base
#   allocator  mm/page_alloc.c and include/linux/mmzone.h unchanged, and
#              struct zone and struct free_area with the layout of the base
#              (pahole of mm/mmzone.o built with -g), sizes as committed in
#              MAINTAINERS-notes/pahole-$BASE.txt
#   kunit      tools/testing/kunit/kunit.py run --kunitconfig=kunit (UML)
#   boot       the patched guest in QEMU: the KUnit results printed at boot
#              and the in-guest KTAP tests, both through kunit.py parse
#   bench      the benchmark harness in smoke mode: every scenario for a few
#              seconds on the base and the patched kernel (the guest kernel
#              built above, and the base with the same config), the
#              report; then runs whose workloads
#              flip a byte must fail, naming each workload
#   guards     the in-guest suites of the fixes (BASE_GUARD_SUITES) on the
#              unpatched base kernel of the benchmarks: each test named in
#              BASE_FIX_GUARDS must fail there, and no other test (the
#              controls among them); the series passes them in "boot"
#
# What counts: one per patch for checkpatch and build, one per file for
# warnings and coccicheck, one per test case for KUnit and the guest, one
# per benchmark boot.
. "$(dirname "$0")/lib.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

PASS=0 FAIL=0
FAILED=()
full=0
[ "$BASE_CHECK" = full ] && full=1
guards=0
[ $full = 1 ] || [ -z "${BASE_GUARD_SUITES:-}" ] || guards=1
STEPS=$([ $full = 1 ] && echo 13 || echo $((9 + guards)))
stepno=0
LOG_DIR=$PCOMPACT_CACHE/logs/check/$BASE
export LOG_DIR
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"

step() {
	stepno=$((stepno + 1))
	log "[$BASE $stepno/$STEPS] $*"
}
pass() { PASS=$((PASS + ${2:-1})); log "  ok: $1"; }
fail() { FAIL=$((FAIL + ${2:-1})); FAILED+=("$1"); log "  FAILED: $1"; }

finish() {
	echo
	if [ ${#FAILED[@]} -gt 0 ]; then
		echo "Failures:"
		printf '  - %s\n' "${FAILED[@]}"
		echo "Logs: $LOG_DIR"
	fi
	log "make check of $BASE done"
	echo "PCOMPACT-CHECK-TOTALS $PASS $FAIL"
	[ ${#FAILED[@]} = 0 ] || printf 'PCOMPACT-CHECK-FAILED %s\n' "${FAILED[@]}"
	[ "$FAIL" -eq 0 ] && exit 0
	exit 1
}

# ---- prerequisites ---------------------------------------------------------
log "make check of BASE=$BASE ($BASE_CHECK): $(wc -l < <(series_patches)) patches of $BASE_SERIES_DIR/, base $BASE_DEB_PACKAGE $BASE_DEB_VERSION, cache $PCOMPACT_CACHE"
"$REPO_DIR/scripts/base-tree.sh" >/dev/null || { fail "base tree (BASE=$BASE scripts/base-tree.sh)"; finish; }
base=$(base_commit)
mapfile -t PATCHES < <(series_patches)
NPATCH=${#PATCHES[@]}

# ---- 12. the debug kernel under a short storm (the primary) -------------------
# scripts/stress.sh: the patched debug kernel (configs/debug.config) races
# kcompactd for CHECK_STRESS_SECS (120) against the workloads, the knob
# storm, memory and CPU hotplug, then runs the mm selftests in the same
# boot, each compared with debug/mm-selftests/$BASE-base.txt. CHECK_ONLY=stress
# runs this step alone (make check-selftest's planted defects use it, with
# PCOMPACT_PLANT=warn|corrupt, and CHECK_STRESS_SELFTESTS=0: the storm
# only). No pc-dimm cycles here: with them the unpatched kernel's memory
# hotplug draws a lockdep report (debug/stress/README.md), which make
# stress lists; the short storm keeps the rest. khugepaged is left to make mm-selftests: its collapse cases time
# out under TCG at random, on the unpatched kernel as on the patched one
# (debug/mm-selftests/table.md).
CHECK_STRESS_MM=${CHECK_STRESS_MM:-compaction_test,transhuge-stress,split_huge_page_test,cow,uffd-stress,migration}
stress_step() {
	local sdir=$LOG_DIR/stress secs=${CHECK_STRESS_SECS:-120} res k v n=0 src=0 sel=()
	if [ "${CHECK_STRESS_SELFTESTS:-1}" = 0 ]; then sel=(--no-selftests); else sel=(--mm "$CHECK_STRESS_MM"); fi
	step "the debug kernel (KASAN, lockdep, DEBUG_VM) under a ${secs} s storm$([ ${#sel[@]} = 1 ] || echo ", then the mm selftests (${CHECK_STRESS_MM//,/, })")"
	log "  (log: $LOG_DIR/stress.log; the debug kernel is built the first time, about 9 minutes cold)"
	with_progress "$LOG_DIR/stress.log" "  stress" "$REPO_DIR/scripts/stress.sh" --seconds "$secs" \
		--name check --out "$sdir" --min "offline=3 cpu=3" --no-dimm "${sel[@]}" >"$LOG_DIR/stress.log" 2>&1 || src=$?
	res=$sdir/check.txt
	if [ ! -s "$res" ]; then
		tail -n 15 "$LOG_DIR/stress.log" | sed 's/^/    /' >&2
		fail "stress: no summary (exit $src; log: $LOG_DIR/stress.log)"
		return
	fi
	while IFS=$'\t' read -r k v; do
		case "$k" in
		mm_selftest) n=$((n + 1)) ;;
		result)
			if [ "$v" = pass ]; then
				pass "stress: $(awk -F'\t' '$1 == "splats" { s = $2 } $1 == "changed_page_runs" { c = $2 } $1 == "pages_verified" { p = $2 } $1 == "online_ok" { o = $2 } $1 == "cpu_online_ok" { u = $2 } $1 == "dimm_cycles" { d = $2 } $1 == "knob_writes_accepted" { a = $2 } $1 == "knob_writes_refused" { r = $2 } END { printf "%s splats, %s changed pages (%s verified), %s offline/online and %s CPU cycles (no DIMM), knob writes %s taken %s refused as they must be", s, c, p, o, u, a, r }' "$res")"
			else
				fail "stress: ${v#FAIL: } (summary: $res; log: $LOG_DIR/stress.log)"
			fi
			;;
		esac
	done <"$res"
	# each mm selftest of the boot: it passed, or it does what it does on the base
	if [ "$n" -gt 0 ] && grep -q $'^result\tpass' "$res"; then
		pass "stress: $n mm selftest runs, none worse than on the unpatched base ($(awk -F'\t' '$1 == "mm_selftest" { c[$3]++ } END { for (r in c) printf "%s %s ", c[r], r }' "$res"))" "$n"
	fi
	[ "$src" = 0 ] || grep -q $'^result\tFAIL' "$res" || fail "stress: scripts/stress.sh exit $src (log: $LOG_DIR/stress.log)"
}
if [ "${CHECK_ONLY:-}" = stress ]; then
	STEPS=1
	[ $full = 1 ] || { fail "CHECK_ONLY=stress: the stress step runs on the primary only, not on $BASE"; finish; }
	stress_step
	finish
elif [ -n "${CHECK_ONLY:-}" ]; then
	fail "CHECK_ONLY=$CHECK_ONLY: the only step that runs alone is 'stress'"
	finish
fi

# ---- 1. series integrity ---------------------------------------------------
step "series integrity"
series_problems() {
	local d=$SERIES_DIR_REPO i=0 p b want subj
	[ "$NPATCH" -gt 0 ] || echo "$BASE_SERIES_DIR/series lists no patch"
	for p in "${PATCHES[@]}"; do
		i=$((i + 1))
		b=${p##*/}
		[ -f "$p" ] || { echo "$BASE_SERIES_DIR/series lists $b, which does not exist"; continue; }
		want=$(printf '%04d' $i)
		[ "${b%%-*}" = "$want" ] || echo "$b is number $i in $BASE_SERIES_DIR/series"
		subj=$(grep -m1 '^Subject: ' "$p")
		# format-patch pads the number to the width of the total
		num=$(printf "%0${#NPATCH}d" "$i")
		case "$subj" in
		*"[${BASE_SUBJECT_PREFIX:-PATCH} $num/$NPATCH]"* | *"[${BASE_SUBJECT_PREFIX:-PATCH} v"*" $num/$NPATCH]"*) ;;
		*) echo "$b: subject '$subj' is not patch $num/$NPATCH" ;;
		esac
	done
	for p in "$d"/[0-9][0-9][0-9][0-9]-*.patch; do
		b=${p##*/}
		[ "$b" = 0000-cover-letter.patch ] && continue
		grep -qxF "$b" "$d/series" || echo "$b is not listed in $BASE_SERIES_DIR/series"
	done
	# each note of $BASE_SERIES_DIR/notes/ (scripts/export.sh) is below
	# the "---" of its patch
	for p in "$d"/notes/*.txt; do
		[ -e "$p" ] || continue
		b=${p##*/}
		b=${b%.txt}.patch
		if [ ! -f "$d/$b" ]; then
			echo "notes/${p##*/} names no patch of $BASE_SERIES_DIR/"
		elif ! awk -v want="$(head -n 1 "$p")" '/^---$/ { below = 1 } { l = $0; sub(/^ +/, "", l) } below && l == want { found = 1 } /^diff --git / { exit } END { exit !found }' "$d/$b"; then
			echo "$b does not carry notes/${p##*/} below its ---: re-export"
		fi
	done
	[ -f "$d/0000-cover-letter.patch" ] || { echo "$BASE_SERIES_DIR/0000-cover-letter.patch is missing"; return; }
	zero=$(printf "%0${#NPATCH}d" 0)
	grep -q "^Subject: .*\[PATCH.* $zero/$NPATCH\]" "$d/0000-cover-letter.patch" ||
		echo "the cover letter is not $zero/$NPATCH"
	local bc
	bc=$(sed -n 's/^base-commit: //p' "$d/0000-cover-letter.patch")
	[ -n "$bc" ] || echo "the cover letter has no base-commit: line (export with scripts/export.sh)"
	grep -q "^# base-commit: $bc\$" "$d/series" || echo "$BASE_SERIES_DIR/series names another base than the cover letter"
	if [ -n "$bc" ] && [ "$bc" != "$base" ]; then
		if [ -z "${KERNEL_DIR:-}" ] && [ "$BASE_DEB_FETCHED" = "$BASE_DEB_VERSION" ]; then
			echo "base-commit $bc is not the base tree's $base (pinned $BASE_DEB_VERSION): re-export"
		else
			warn "the series was made on base-commit $bc; applying onto $base"
		fi
	fi
}
problems=$(series_problems)
if [ -z "$problems" ]; then pass "series: $NPATCH patches and a cover letter in $BASE_SERIES_DIR/"; else
	printf '%s\n' "$problems" | sed 's/^/    /' >&2
	fail "series integrity"
fi

# ---- 2. git am --------------------------------------------------------------
step "git am of $BASE_SERIES_DIR/series onto $(git -C "$KERNEL_TREE" describe --always "$base")"
am_ok=1
if WT=$("$REPO_DIR/scripts/apply.sh" --check); then
	pass "git am: $NPATCH patches"
else
	fail "git am (the patch and hunk are named above)"
	am_ok=0
	WT=$CHECK_WORKTREE
fi

# ---- 3. checkpatch ------------------------------------------------------------
step "checkpatch.pl --strict on every patch"
[ -x "$WT/scripts/checkpatch.pl" ] || { fail "checkpatch: no kernel worktree at $WT"; finish; }
# The base tree is a release tarball in one commit: checkpatch cannot look
# up the commit of a Fixes: tag in it. Only that check is left out, and
# only then; the tag's form is still checked.
cp_opts=(--strict --no-summary --showfile)
if [ "$(git -C "$KERNEL_TREE" rev-list --count "$base")" -le 1 ]; then
	cp_opts+=(--ignore UNKNOWN_COMMIT_ID)
	log "  (the base tree has no history: checkpatch cannot verify the commits of Fixes: tags, UNKNOWN_COMMIT_ID is ignored)"
fi
for p in "${PATCHES[@]}"; do
	b=${p##*/}
	out=$(cd "$WT" && ./scripts/checkpatch.pl "${cp_opts[@]}" "$p" 2>&1) || true
	printf '%s\n' "$out" >"$LOG_DIR/checkpatch-$b.log"
	errs=$(grep -cE '(^|: )(ERROR|WARNING):' <<<"$out" || true)
	checks=$(grep -cE '(^|: )CHECK:' <<<"$out" || true)
	if grep -qE '^Traceback|No module named' <<<"$out"; then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		fail "checkpatch $b: a checkpatch helper crashed (scripts/deps.sh installs python3-ply and python3-git)"
	elif [ "$errs" -gt 0 ]; then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		fail "checkpatch $b: $errs ERROR/WARNING"
	else
		[ "$checks" = 0 ] || printf '%s\n' "$out" | sed 's/^/    /' >&2
		pass "checkpatch $b (${checks} CHECK)"
	fi
done

# Nothing below means anything without the whole series applied.
[ $am_ok = 1 ] || finish
G=(git -C "$WT")
tip=$("${G[@]}" rev-parse HEAD)
mapfile -t COMMITS < <("${G[@]}" rev-list --reverse "$base..$tip")

# ---- baseline of warnings and coccinelle reports, at the base ----------------
mapfile -t TOUCHED < <("${G[@]}" diff --name-only --diff-filter=AM "$base" "$tip" -- '*.c' | sort)
WARN_OUT=$CHECK_DIR/warn
# warnings_of LABEL: W=1 + sparse and coccicheck reports on the touched
# files, normalised (no line numbers) into $LOG_DIR/{w1,cocci}-LABEL-FILE.txt
warnings_of() {
	local label=$1 f o n
	"$REPO_DIR/scripts/build.sh" --quiet --no-config-check --tree "$WT" --out "$WARN_OUT" prepare ||
		return 1
	for f in "${TOUCHED[@]}"; do
		o=${f%.c}.o
		n=${f//\//_}
		rm -f "$WARN_OUT/$o"
		make -C "$WT" O="$WARN_OUT" ARCH=x86_64 -j"$JOBS" W=1 C=2 CC="ccache gcc" "$o" \
			>"$LOG_DIR/w1-$label-$n.log" 2>&1 || true
		grep -E ': (warning|error):' "$LOG_DIR/w1-$label-$n.log" |
			sed -E "s#^$WT/##; s#^\.\./##; s#:[0-9]+(:[0-9]+)?:#:#" | sort >"$LOG_DIR/w1-$label-$n.txt" || true
		PCOMPACT_COCCI_FILES="$f" make -C "$WT" O="$WARN_OUT" ARCH=x86_64 -j"$JOBS" W=1 C=2 CHECK="$REPO_DIR/scripts/cocci-check-one.sh" \
			MODE=report CC="ccache gcc" "$o" >"$LOG_DIR/cocci-$label-$n.log" 2>&1 || true
		grep -E "^(\./|$WT/)?$f:[0-9]+" "$LOG_DIR/cocci-$label-$n.log" |
			sed -E "s#^$WT/##; s#^\./##; s#:[0-9]+(:[0-9]+)?(-[0-9]+)?:#:#; s# on line [0-9]+\$# on line N#; s# at line [0-9]+\.\$# at line N.#" | sort >"$LOG_DIR/cocci-$label-$n.txt" || true
	done
	# the layouts of the page allocator's structs, from an object with
	# debug info (mm/mmzone.c uses both)
	rm -f "$WARN_OUT/mm/mmzone.o"
	make -C "$WT" O="$WARN_OUT" ARCH=x86_64 -j"$JOBS" KCFLAGS=-g CC="ccache gcc" mm/mmzone.o \
		>"$LOG_DIR/pahole-$label.log" 2>&1 &&
		pahole -C zone,free_area "$WARN_OUT/mm/mmzone.o" >"$LOG_DIR/pahole-$label.txt" 2>>"$LOG_DIR/pahole-$label.log" ||
		rm -f "$LOG_DIR/pahole-$label.txt"
}
# struct_sizes FILE: "struct NAME: N bytes" for each struct pahole printed
struct_sizes() {
	awk '/^struct [a-z_]+ \{/ { name = $2 } /\/\* size: / && name != "" {
		sub(",", "", $3); print "struct " name ": " $3 " bytes"; name = "" }' "$1"
}
# The base is pinned, so its reports are kept between runs (coccicheck
# alone takes a minute and a half on mm/shmem.c): keyed by the source
# (baseline_key TREE-ISH: the base commit, or the tip's tree), the files,
# the tools' versions, the config and the code that makes them.
baseline_key() {
	{
		echo "$1"
		printf '%s\n' "${TOUCHED[@]}"
		gcc --version | head -n 1
		sparse --version 2>&1 | head -n 1
		spatch --version 2>&1 | head -n 1
		cat "$REPO_DIR/configs/guest.config" "$REPO_DIR/configs/bases/$BASE.config" 2>/dev/null || true
		declare -f warnings_of
		cat "$REPO_DIR/scripts/cocci-check-one.sh"
	} | sha1sum | cut -c1-16
}
# reports_restore DIR: the kept reports and their logs into $LOG_DIR, if
# DIR has them
reports_restore() {
	[ -f "$1/kept" ] && cp "$1"/*.txt "$1"/*.log "$LOG_DIR/"
}
# reports_keep DIR LABEL: keep warnings_of LABEL's reports and logs in DIR
reports_keep() {
	rm -rf "$1"
	mkdir -p "$1"
	cp "$LOG_DIR"/w1-"$2"-*.txt "$LOG_DIR"/cocci-"$2"-*.txt \
		"$LOG_DIR"/w1-"$2"-*.log "$LOG_DIR"/cocci-"$2"-*.log "$1/" 2>/dev/null || true
	[ ! -f "$LOG_DIR/pahole-$2.txt" ] || cp "$LOG_DIR/pahole-$2.txt" "$LOG_DIR/pahole-$2.log" "$1/" || true
	touch "$1/kept"
}
BASELINE_CACHE=$PCOMPACT_CACHE/baseline/$BASE-base-$(baseline_key "$base")
if reports_restore "$BASELINE_CACHE"; then
	log "  baseline: W=1, sparse and coccicheck on ${TOUCHED[*]:-nothing} at the base, as computed before ($BASELINE_CACHE)"
else
	log "  baseline: W=1, sparse and coccicheck on ${TOUCHED[*]:-nothing} at the base"
	"${G[@]}" checkout -q --detach "$base"
	if warnings_of base; then
		reports_keep "$BASELINE_CACHE" base
	else
		log "  (the baseline could not be built; every warning will count as new)"
	fi
fi

# ---- 4. build after every patch --------------------------------------------------
GUEST_OUT=$CHECK_DIR/guest
i=0
build_ok=1
step "build after every patch, then the guest kernel"
for c in "${COMMITS[@]}"; do
	i=$((i + 1))
	"${G[@]}" checkout -q --detach "$c"
	subj=$("${G[@]}" log -1 --format=%s "$c")
	if [ $i -lt "$NPATCH" ]; then
		# what the patch can break: a header under include/ reaches the
		# whole tree, a .c file only its directory (mm/ always: the
		# series' home)
		mapfile -t changed < <("${G[@]}" diff --name-only "$c^" "$c")
		if printf '%s\n' "${changed[@]}" | grep -q '^include/'; then
			targets=(vmlinux)
		else
			targets=($(printf '%s\n' mm/x "${changed[@]}" | grep -E '\.[ch]$|^mm/x$' |
				grep -vE '^(Documentation|tools|include)/' | sed -E 's#/[^/]*$#/#' | sort -u))
		fi
		if "$REPO_DIR/scripts/build.sh" --quiet --no-config-check --tree "$WT" --out "$GUEST_OUT" "${targets[@]}"; then
			pass "build after patch $i/$NPATCH (${targets[*]}): $subj"
		else
			fail "build after patch $i/$NPATCH: $subj (log: $LOG_DIR/build-guest.log)"
			build_ok=0
		fi
	else
		if "$REPO_DIR/scripts/build.sh" --tree "$WT" --out "$GUEST_OUT" bzImage modules; then
			pass "build after patch $i/$NPATCH, guest bzImage with configs/guest.config: $subj"
		else
			fail "build of the guest kernel after patch $i/$NPATCH: $subj (log: $LOG_DIR/build-guest.log)"
			build_ok=0
		fi
	fi
done
"${G[@]}" checkout -q --detach "$tip"

# ---- 5, 6. new W=1 / sparse warnings and coccinelle reports ----------------------
# the tip's too, by its source tree: a rerun of the same series reuses them
TIP_CACHE=$PCOMPACT_CACHE/baseline/$BASE-tip-$(baseline_key "$("${G[@]}" rev-parse "$tip^{tree}")")
if reports_restore "$TIP_CACHE"; then
	log "  W=1, sparse and coccicheck of this tip's source tree as computed before ($TIP_CACHE)"
elif warnings_of tip; then
	reports_keep "$TIP_CACHE" tip
fi
for kind in w1 cocci; do
	if [ $kind = w1 ]; then
		step "W=1 and sparse (C=2) on the touched files, against the base"
	else
		step "coccicheck on the touched files, against the base"
	fi
	for f in "${TOUCHED[@]}"; do
		n=${f//\//_}
		new=$(comm -13 "$LOG_DIR/$kind-base-$n.txt" "$LOG_DIR/$kind-tip-$n.txt" 2>/dev/null || cat "$LOG_DIR/$kind-tip-$n.txt")
		what=$([ $kind = w1 ] && echo "W=1/sparse" || echo "coccicheck")
		if [ ! -s "$LOG_DIR/$kind-tip-$n.log" ]; then
			fail "$what $f: no output at all (log: $LOG_DIR/$kind-tip-$n.log)"
		elif [ $kind = w1 ] && grep -q 'C=2 specified, but sparse is not available or not up to date' \
			"$LOG_DIR/$kind-tip-$n.log"; then
			# Linux 7.3's scripts/checker-valid.sh wants __typeof_unqual__,
			# which Debian 12's sparse 0.6.4 lacks (trixie's needs glibc
			# 2.38): W=1 runs, sparse does not, and the result says so.
			if ! grep -qE "^  CC +(.*/)?${f%.c}\.o\$" "$LOG_DIR/$kind-tip-$n.log"; then
				fail "W=1 $f: did not run (log: $LOG_DIR/$kind-tip-$n.log)"
			elif [ -n "$new" ]; then
				printf '%s\n' "$new" | sed 's/^/    new: /' >&2
				fail "W=1 $f: $(wc -l <<<"$new") new"
			else
				pass "W=1 $f: nothing new ($(wc -l <"$LOG_DIR/$kind-tip-$n.txt") at the base and after); sparse NOT RUN: this sparse ($(sparse --version 2>&1)) is too old for Linux $BASE_UPSTREAM_VERSION"
			fi
		elif grep -qE "No rule to make target|not found|\*\*\* \[.*Error [0-9]+" "$LOG_DIR/$kind-tip-$n.log" ||
			! grep -qE "^  CHECK +(.*/)?$f\$" "$LOG_DIR/$kind-tip-$n.log"; then
			tail -n 5 "$LOG_DIR/$kind-tip-$n.log" | sed 's/^/    /' >&2
			fail "$what $f: did not run (log: $LOG_DIR/$kind-tip-$n.log)"
		elif [ -n "$new" ]; then
			printf '%s\n' "$new" | sed 's/^/    new: /' >&2
			fail "$what $f: $(wc -l <<<"$new") new"
		else
			pass "$what $f: nothing new ($(wc -l <"$LOG_DIR/$kind-tip-$n.txt") at the base and after)"
		fi
	done
done

# ---- the page allocator is left alone ----------------------------------------------------
{
	step "the page allocator left alone: git diff and pahole of struct zone and struct free_area"
	pa=$("${G[@]}" diff --stat "$base" "$tip" -- mm/page_alloc.c include/linux/mmzone.h)
	if [ -z "$pa" ]; then
		pass "allocator: mm/page_alloc.c and include/linux/mmzone.h unchanged by the series"
	else
		printf '%s\n' "$pa" | sed 's/^/    /' >&2
		fail "allocator: the series changes the page allocator (git diff --stat above)"
	fi
	committed=$REPO_DIR/MAINTAINERS-notes/pahole-$BASE.txt
	if [ ! -s "$LOG_DIR/pahole-base.txt" ] || [ ! -s "$LOG_DIR/pahole-tip.txt" ]; then
		fail "allocator: pahole of struct zone and struct free_area did not run (logs: $LOG_DIR/pahole-*.log)"
	elif ! diff -q "$LOG_DIR/pahole-base.txt" "$LOG_DIR/pahole-tip.txt" >/dev/null; then
		diff "$LOG_DIR/pahole-base.txt" "$LOG_DIR/pahole-tip.txt" | sed 's/^/    /' >&2
		fail "allocator: the layout of struct zone or struct free_area changed (pahole, diff above)"
	elif [ "$(struct_sizes "$committed" 2>/dev/null)" != "$(struct_sizes "$LOG_DIR/pahole-tip.txt")" ]; then
		fail "allocator: the sizes differ from $committed (regenerate it from $LOG_DIR/pahole-tip.txt)"
	else
		pass "allocator: struct zone and struct free_area keep their layout ($(struct_sizes "$LOG_DIR/pahole-tip.txt" | tr '\n' ';' | sed 's/;$//; s/;/, /'))"
	fi
}

# count_kunit FILE: "passed failed" from kunit.py's summary line
count_kunit() {
	local line p f c
	line=$(grep -E 'Ran [0-9]+ tests' "$1" | tail -1)
	p=$(sed -nE 's/.*passed: ([0-9]+).*/\1/p' <<<"$line")
	f=$(sed -nE 's/.*failed: ([0-9]+).*/\1/p' <<<"$line")
	c=$(sed -nE 's/.*crashed: ([0-9]+).*/\1/p' <<<"$line")
	echo "${p:-0} $((${f:-0} + ${c:-0}))"
}
show_kunit_failures() {
	grep -E '\[(FAILED|CRASHED|ERROR)\]|EXPECTATION FAILED|Expected | == |case: ' "$1" | sed 's/^/    /' | head -40 >&2 || true
}

# ---- 7. KUnit under UML --------------------------------------------------------------
if [ $full = 1 ]; then
step "KUnit under UML: kunit.py run --kunitconfig=kunit"
kunit_log=$LOG_DIR/kunit-uml.log
log "  (log: $kunit_log; about 5 minutes cold)"
run_kunit() {
	(cd "$WT" && python3 tools/testing/kunit/kunit.py run --kunitconfig="$REPO_DIR/kunit" \
		--build_dir="$CHECK_DIR/uml" --jobs="$JOBS" --make_options "CC=ccache gcc") \
		>"$kunit_log" 2>&1
}
krc=0
with_progress "$kunit_log" "  kunit.py" run_kunit || krc=$?
read -r kp kf < <(count_kunit "$kunit_log")
if [ $krc = 0 ] && [ "$kp" -gt 0 ] && [ "$kf" = 0 ]; then
	pass "KUnit (UML): $kp tests" "$kp"
else
	show_kunit_failures "$kunit_log"
	[ "$kp$kf" != 00 ] || tail -n 20 "$kunit_log" | sed 's/^/    /' >&2
	PASS=$((PASS + kp))
	fail "KUnit (UML): $kf failed (log: $kunit_log)" "$((kf > 0 ? kf : 1))"
fi
fi

# suite_counts TESTS_LOG: one line per in-guest suite with its KTAP totals
suite_counts() {
	awk '/^    # Subtest: / { name = $3 }
	     /^    # Totals: / && name != "" {
		printf "      %-10s %s\n", name, $3 " " $4; name = "" }' "$1" >&2
}

# ---- 8. boot the patched guest ------------------------------------------------------------
step "boot the patched guest: KUnit at boot and the in-guest tests"
if [ $build_ok = 1 ] && [ -f "$GUEST_OUT/arch/x86/boot/bzImage" ]; then
	bootdir=$LOG_DIR/boot
	brc=0
	"$REPO_DIR/scripts/initramfs.sh" --tree "$WT" --out "$CHECK_DIR/initramfs.cpio" &&
		KUNIT_TREE=$WT "$REPO_DIR/scripts/boot.sh" --batch --log-dir "$bootdir" \
			--kernel "$GUEST_OUT/arch/x86/boot/bzImage" \
			--initrd "$CHECK_DIR/initramfs.cpio" || brc=$?
	for part in kunit-boot:"KUnit at boot" guest-tests:"in-guest tests"; do
		f=$bootdir/${part%%:*}.txt name=${part#*:}
		[ -f "$f" ] || { fail "$name: no results (log: $bootdir)"; continue; }
		read -r bp bf < <(count_kunit "$f")
		if [ "$bp" -gt 0 ] && [ "$bf" = 0 ] && ! grep -q 'ERROR\|CRASHED' "$f"; then
			pass "$name: $bp tests" "$bp"
			[ "${part%%:*}" = guest-tests ] && [ -f "$bootdir/tests.log" ] &&
				suite_counts "$bootdir/tests.log"
			# skips are features the series does not declare, TODOs its
			# known gaps: said, not hidden
			[ "${part%%:*}" != guest-tests ] ||
				grep -E '^ *ok [0-9]+ .*# SKIP' "$bootdir/tests.log" 2>/dev/null |
				sed -E 's/^ *ok [0-9]+ /    skipped: /' >&2 || true
			[ "${part%%:*}" != guest-tests ] || [ ! -s "$bootdir/todo.txt" ] ||
				sed 's/^/    known gap: /' "$bootdir/todo.txt" >&2
		else
			show_kunit_failures "$f"
			PASS=$((PASS + bp))
			fail "$name: $bf failed (results: $f, console: $bootdir/console.log)" "$((bf > 0 ? bf : 1))"
		fi
	done
	[ $brc = 0 ] || [ $FAIL -gt 0 ] || fail "boot: the guest run failed (log: $bootdir)"
else
	fail "boot: no guest kernel was built"
fi

# ---- 9. the benchmark harness, smoke mode -------------------------------------------------
if [ $full = 0 ] && [ $guards = 0 ]; then step "summary"; finish; fi
if [ $full = 1 ]; then
step "benchmark harness: every scenario for a few seconds on the base and the patched kernel"
smoke_dir=$LOG_DIR/bench-smoke
smoke_log=$LOG_DIR/bench-smoke.log
log "  (log: $smoke_log; the base kernel is built the first time, mostly from ccache)"
src=0
# the patched kernel is the guest kernel built above (the same config)
prebuilt=()
[ $build_ok = 0 ] || prebuilt=(--patched-build "$WT:$GUEST_OUT")
with_progress "$smoke_log" "  bench smoke" "$REPO_DIR/benchmarks/run.sh" --smoke --out "$smoke_dir" "${prebuilt[@]}" \
	>"$smoke_log" 2>&1 || src=$?
if [ -s "$smoke_dir/results.jsonl" ]; then
	while IFS=$'\t' read -r ok what why; do
		if [ "$ok" = True ]; then pass "bench smoke: $what"; else fail "bench smoke: $what: $why (logs: $smoke_dir)"; fi
	done < <(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print("%s\t%s %s %s\t%s" % (r["ok"], r["scenario"], r["kernel"], r["setting"], "; ".join(r["errors"])))
' "$smoke_dir/results.jsonl")
	nmd=$(ls "$smoke_dir"/report/*.md 2>/dev/null | wc -l)
	if [ $src = 0 ] && [ "$nmd" = "$(ls "$REPO_DIR"/benchmarks/scenarios | wc -l)" ]; then
		pass "bench smoke: report of $nmd scenarios"
	else
		tail -n 15 "$smoke_log" | sed 's/^/    /' >&2
		fail "bench smoke: runner exit $src, $nmd reports (log: $smoke_log)"
	fi
else
	tail -n 20 "$smoke_log" | sed 's/^/    /' >&2
	fail "bench smoke: no results (log: $smoke_log)"
fi
# Runs whose workloads flip a byte: the runner must fail each and name
# every workload of it. SCENARIO|PHASE: WORKLOAD|RUNS (on one kernel).
corrupt_log=$LOG_DIR/bench-corrupt.log
crc=0
"$REPO_DIR/benchmarks/run.sh" --smoke --corrupt --kernels patched --out "$LOG_DIR/bench-corrupt" "${prebuilt[@]}" \
	thp-frag hotset idle lru-seed >"$corrupt_log" 2>&1 || crc=$?
missed=()
for want in "thp-frag|floor: thpalloc|2" "thp-frag|faults: thpalloc|2" "thp-frag|frag: fragment|2" \
	"thp-frag|kfloor: khugehog|2" "thp-frag|kalloc: khugehog|2" "thp-frag|kfrag: fragment|2" \
	"hotset|hot: hotset|2" "hotset|frag: fragment|2" "idle|idle: fragment|1" "lru-seed|lru: lruseed|2"; do
	IFS='|' read -r sc w n <<<"$want"
	[ "$(grep -c "^  - $sc .*$w reported 1 corrupt_pages" "$corrupt_log")" = "$n" ] || missed+=("$sc $w")
done
if [ $crc != 0 ] && grep -q '^7 of 7 runs FAILED' "$corrupt_log" && [ ${#missed[@]} = 0 ]; then
	pass "bench: a flipped byte fails the run, in each of 10 workloads of 4 scenarios (7 runs)"
else
	tail -n 15 "$corrupt_log" | sed 's/^/    /' >&2
	fail "bench: a corrupt run was not failed for each workload (exit $crc; not caught: ${missed[*]:-}; log: $corrupt_log)"
fi

fi

# ---- 10. the tests that guard a fix fail on the unpatched base ---------------------------------
step "guards: the tests of the fixes on the unpatched base kernel"
base_bz=$BENCH_BASE_DIR/guest/arch/x86/boot/bzImage
gdir=$LOG_DIR/guards
if [ $full = 0 ] && [ $build_ok = 1 ]; then
	# a backport has no bench step to build the base kernel: build it
	# here, as benchmarks/run.sh does (the same config, mostly ccache)
	bwt=$(base_worktree)
	log "  (building the unpatched $BASE_UPSTREAM_VERSION guest kernel, mostly from ccache; log: $LOG_DIR/base)"
	LOG_DIR=$LOG_DIR/base "$REPO_DIR/scripts/build.sh" --quiet --skip-absent --tree "$bwt" \
		--out "$BENCH_BASE_DIR/guest" bzImage modules || rm -f "$base_bz"
fi
if [ -z "${BASE_FIX_GUARDS:-}" ]; then
	fail "guards: $BASE has no BASE_FIX_GUARDS in its pin"
elif [ ! -f "$base_bz" ]; then
	fail "guards: no base kernel at $base_bz (the bench step builds it on the primary, the guards step on a backport; log: $LOG_DIR/base)"
else
	log "  (boot of the unpatched $BASE_UPSTREAM_VERSION with: $BASE_GUARD_SUITES; log: $gdir)"
	"$REPO_DIR/scripts/initramfs.sh" --tree "$WT" --out "$CHECK_DIR/guards.cpio" --suites "$BASE_GUARD_SUITES" &&
		BOOT_QUIET=1 KUNIT_TREE=$WT "$REPO_DIR/scripts/boot.sh" --batch --log-dir "$gdir" \
			--kernel "$base_bz" --initrd "$CHECK_DIR/guards.cpio" >/dev/null 2>&1 || true
	if [ ! -s "$gdir/tests.log" ] || ! grep -q '^    # Totals: ' "$gdir/tests.log"; then
		fail "guards: the base guest did not finish the suites (console: $gdir/console.log)"
	else
		# "suite:test" of every failure, against the guards' patterns
		mapfile -t failed < <(tr -d '\r' <"$gdir/tests.log" |
			awk '/^    # Subtest: / { s = $3 } /^    not ok / { print s ":" $4 }')
		for g in $BASE_FIX_GUARDS; do
			hit=
			for f in "${failed[@]}"; do
				# shellcheck disable=SC2053 # a guard is a glob pattern
				[[ $f == $g ]] && { hit=$f; break; }
			done
			if [ -n "$hit" ]; then
				pass "guard fails on the unpatched base: $g${hit:+ ($hit)}"
			else
				fail "guard passes on the unpatched base, so it guards nothing: $g (results: $gdir/tests.log)"
			fi
		done
		for f in "${failed[@]}"; do
			ok=0
			for g in $BASE_FIX_GUARDS; do
				# shellcheck disable=SC2053
				[[ $f == $g ]] && ok=1
			done
			[ $ok = 1 ] || fail "guards: $f fails on the unpatched base but guards no fix (a control? results: $gdir/tests.log)"
		done
		grep -h '"next_pass_ms"' "$gdir/tests.log" | sed 's/^ *# */    base: /' >&2 || true
	fi
fi

[ $full = 0 ] || stress_step

# ---- 11. what the checks cover -------------------------------------------------------------
step "summary"
finish
