#!/usr/bin/env bash
# make check: every test of the project, for every base in turn (the
# primary, mainline 7.3, with every step; the 6.12 backport with the steps
# of a backport: see scripts/check-base.sh), with a progress line per
# step, ending with one line "N passed, N failed" for all of them
# (non-zero exit on any failure).
#
# usage: scripts/check.sh [-h]
#
# BASES_TO_CHECK="6.12" (or "7.3") checks one base only. Logs of the last run:
# $PCOMPACT_CACHE/logs/check/BASE/.
. "$(dirname "$0")/lib.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

read -r -a bases <<<"${BASES_TO_CHECK:-${BASES[*]}}"
LOG_DIR=$PCOMPACT_CACHE/logs/check
mkdir -p "$LOG_DIR"
PASS=0 FAIL=0
FAILED=()
log "make check: bases ${bases[*]}, cache $PCOMPACT_CACHE"
if ! "$REPO_DIR/scripts/deps.sh"; then
	FAIL=1 FAILED=("dependencies (scripts/deps.sh)")
	bases=()
fi
for b in "${bases[@]}"; do
	p= f=
	out=$LOG_DIR/check-$b.out
	t0=$(date +%s)
	BASE=$b "$REPO_DIR/scripts/check-base.sh" 2>&1 | tee "$out" | grep --line-buffered -v '^PCOMPACT-CHECK-' || true
	if read -r _ p f < <(grep '^PCOMPACT-CHECK-TOTALS ' "$out"); then
		PASS=$((PASS + p)) FAIL=$((FAIL + f))
		while IFS= read -r l; do FAILED+=("$b: ${l#PCOMPACT-CHECK-FAILED }"); done < <(grep '^PCOMPACT-CHECK-FAILED ' "$out")
	else
		FAIL=$((FAIL + 1))
		FAILED+=("$b: scripts/check-base.sh ended without its totals (output: $out)")
	fi
	log "base $b: ${p:-?} passed, ${f:-?} failed, in $((($(date +%s) - t0) / 60)) min $((($(date +%s) - t0) % 60)) s"
done
echo
if [ ${#FAILED[@]} -gt 0 ]; then
	echo "Failures:"
	printf '  - %s\n' "${FAILED[@]}"
	echo "Logs: $LOG_DIR"
fi
log "make check done"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
