#!/usr/bin/env bash
# Prove that make check fails, naming the culprit, for each defect it must
# catch. Each case breaks a throw-away copy of the repository in one way,
# runs `make check` there (sharing the cache), and requires a non-zero
# exit, a final "N passed, M failed" line with M > 0, and the culprit named
# in the output. Runs the cases one after another (about 3 minutes each
# with warm caches); the repository itself is never touched. The copies
# are checked on the primary base only (BASES_TO_CHECK=7.3): the cases
# break patches/ and the guest config, which the primary's check covers.
# The two planted defects of the debug kernel's storm run make check's
# stress step alone, the storm without the mm selftests (CHECK_ONLY=stress
# CHECK_STRESS_SELFTESTS=0, about 4 minutes each warm):
#   planted-warn     a test-only module (scripts/selftest/plant_warn.c,
#                    never in patches/) WARNs in the middle of the storm:
#                    the run must fail on the splat, naming plant_warn
#   planted-corrupt  the storm's first fragment run flips a byte of its
#                    memory (fragment -C): the run must fail on the changed
#                    page, naming fragment
#
# usage: scripts/check-selftest.sh [-h] [CASE...]
#   CASE: hunk-line-deleted trailing-whitespace kunit-wrong-value
#         config-option-unset planted-warn planted-corrupt (default: all)
. "$(dirname "$0")/lib.sh"

ALL=(hunk-line-deleted trailing-whitespace kunit-wrong-value config-option-unset planted-warn planted-corrupt)
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("${ALL[@]}")

P1=$(sed -n '/^0001-/p' "$REPO_DIR/patches/series")
P2=$(sed -n '/^0002-/p' "$REPO_DIR/patches/series")

# break CASE DIR: apply the defect to the copy in DIR; print what must be
# named in the output
break_copy() {
	local d=$1/patches
	case "$2" in
	hunk-line-deleted)
		# the first context line inside the second hunk of patch 1
		python3 - "$d/$P1" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
hunks = [i for i, l in enumerate(lines) if l.startswith('@@ ')]
i = hunks[1] + 1
while not lines[i].startswith(' '):
    i += 1
del lines[i]
open(p, 'w').write('\n'.join(lines))
PY
		echo "$P1"
		;;
	trailing-whitespace)
		python3 - "$d/$P1" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
i = next(i for i, l in enumerate(lines) if l.startswith('+ * ') and 'diff' not in l)
lines[i] += ' '
open(p, 'w').write('\n'.join(lines))
PY
		echo "$P1"
		;;
	kunit-wrong-value)
		# the default 20 gives 80/90: the table says 81
		python3 - "$d/$P2" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = '{ 20, 80, 90 },\t/* the default */'
assert old in s, 'patch 2 no longer has the row the selftest breaks'
open(p, 'w').write(s.replace(old, '{ 20, 81, 90 },\t/* the default */'))
PY
		echo "wmark_table"
		;;
	config-option-unset)
		# ZSWAP_DEFAULT_ON depends on ZSWAP, which the fragment does not set
		echo "CONFIG_ZSWAP_DEFAULT_ON=y" >>"$1/configs/guest.config"
		echo "CONFIG_ZSWAP_DEFAULT_ON=y"
		;;
	planted-warn) echo "plant_warn" ;;
	planted-corrupt) echo "changed pages (fragment x1)" ;;
	*) die "unknown case $2 (see -h)" ;;
	esac
}

failures=0
for c in "${cases[@]}"; do
	copy=$(mktemp -d)
	git -C "$REPO_DIR" ls-files -z | (cd "$REPO_DIR" && xargs -0 cp --parents -t "$copy")
	culprit=$(break_copy "$copy" "$c")
	log "selftest $c: make check must fail naming '$culprit'"
	rc=0
	# the planted defects break one step: that step alone
	only=()
	case "$c" in planted-*) only=(CHECK_ONLY=stress CHECK_STRESS_SELFTESTS=0 PCOMPACT_PLANT=${c#planted-}) ;; esac
	# A make of its own, as a user's: not a sub-make of this one (make[1] lines)
	(cd "$copy" && env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS BASES_TO_CHECK=7.3 "${only[@]}" make --no-print-directory check) \
		>"$copy.log" 2>&1 || rc=$?
	# The summary line, after which only make's own error line may follow
	last=$(grep -v '^make: \*\*\*' "$copy.log" | tail -n 1 |
		grep -E '^[0-9]+ passed, [0-9]+ failed$' || true)
	if [ $rc -ne 0 ] && [[ "$last" =~ ^[0-9]+\ passed,\ [1-9][0-9]*\ failed$ ]] &&
		grep -qF -- "$culprit" "$copy.log"; then
		log "  ok: exit $rc, '$last', culprit named:"
		grep -F -- "$culprit" "$copy.log" | grep -iE 'fail|error|not|did not|expect|stick' | head -3 | sed 's/^/      /' >&2
	else
		log "  FAILED: exit $rc, last line '$last'; output: $copy.log"
		failures=$((failures + 1))
	fi
	rm -rf "$copy"
done
echo "$((${#cases[@]} - failures)) passed, $failures failed"
[ $failures -eq 0 ]
