#!/usr/bin/env bash
# Apply the series of BASE (patches/series for 7.3, backport-6.12/series
# for 6.12) with git am onto a fresh branch at the base, in a worktree of
# the kernel tree (the base tree, or KERNEL_DIR).
#
# usage: BASE=7.3|6.12 scripts/apply.sh [-h] [--check|--bench] [--force]
#   (default)  the developer worktree $SERIES_WORKTREE, branch $SERIES_BRANCH;
#              refuses to drop uncommitted changes or commits that were
#              never exported (scripts/export.sh), unless --force
#   --check    the worktree make check owns ($CHECK_WORKTREE), always reset
#   --bench    the worktree of the patched benchmark kernel ($BENCH_DIR/src);
#              left alone when it already holds exactly the series (so its
#              build is not redone), else reset
# Prints the worktree path.
. "$(dirname "$0")/lib.sh"

mode=series force=0
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--check) mode=check ;;
	--bench) mode=bench ;;
	--force) force=1 ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
	shift
done
need_kernel_tree
base=$(base_commit)
case $mode in
check) wt=$CHECK_WORKTREE branch=$CHECK_BRANCH ;;
bench) wt=$BENCH_DIR/src branch=$BENCH_BRANCH ;;
*) wt=$SERIES_WORKTREE branch=$SERIES_BRANCH ;;
esac
applied_ref=refs/pcompact/applied/$branch
# What patches/ holds, with the base: the bench worktree skips git am
# (and its build a rebuild) when nothing changed.
series_key=$(cd "$SERIES_DIR_REPO" && { echo "$base"; series_patches | xargs cat; } | sha1sum | cut -c1-16)
if [ $mode = bench ] && [ -e "$wt/.git" ] &&
	[ "$(git -C "$wt" config --get pcompact.series-key || true)" = "$series_key" ] &&
	[ "$(git -C "$wt" rev-parse HEAD)" = "$(git -C "$wt" rev-parse -q --verify "$applied_ref" || true)" ] &&
	[ -z "$(git -C "$wt" status --porcelain)" ]; then
	log "apply: $wt already holds $BASE_SERIES_DIR/ ($series_key)"
	echo "$wt"
	exit 0
fi

git -C "$KERNEL_TREE" worktree prune
if [ ! -e "$wt/.git" ]; then
	mkdir -p "$(dirname "$wt")"
	git -C "$KERNEL_TREE" worktree add -q --detach "$wt" "$base"
fi
G=(git -C "$wt")
"${G[@]}" am --abort >/dev/null 2>&1 || true

if [ $mode = series ] && [ $force = 0 ]; then
	if [ -n "$("${G[@]}" status --porcelain)" ]; then
		die "$wt has uncommitted changes; commit them and run scripts/export.sh, or rerun with --force to drop them"
	fi
	if tip=$("${G[@]}" rev-parse -q --verify "refs/heads/$branch"); then
		last=$("${G[@]}" rev-parse -q --verify "$applied_ref" || true)
		if [ "$tip" != "$last" ] && [ "$tip" != "$base" ]; then
			die "branch $branch in $wt has commits that were never exported:
$("${G[@]}" log --oneline "${last:-$base}..$tip" | sed 's/^/  /')
run scripts/export.sh first, or rerun with --force to drop them"
		fi
	fi
fi

"${G[@]}" checkout -q -f -B "$branch" "$base"
"${G[@]}" clean -q -fdx
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-pcompact apply} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-apply@pcompact.invalid}
n=0
while read -r p; do
	n=$((n + 1))
	if ! out=$("${G[@]}" am --committer-date-is-author-date "$p" 2>&1); then
		printf '%s\n' "$out" >&2
		hunk=$(printf '%s\n' "$out" | grep -E '^error: (patch failed|corrupt patch)|^error: .*: patch does not apply' | head -3)
		# git names the line of the patch file: name the hunk around it too
		line=$(sed -nE 's/^error: corrupt patch at line ([0-9]+)$/\1/p' <<<"$out" | head -1)
		if [ -n "$line" ]; then
			hunk+=$'\n'"in the hunk: $(head -n "$line" "$p" | grep -E '^@@ ' | tail -1)"
			hunk+=$'\n'"of file: $(head -n "$line" "$p" | grep -E '^\+\+\+ b/' | tail -1 | cut -c7-)"
		fi
		"${G[@]}" am --abort >/dev/null 2>&1 || true
		die "$BASE_SERIES_DIR/${p##*/} does not apply onto $(git -C "$KERNEL_TREE" describe --always "$base"):
${hunk:-see the git am output above}"
	fi
done < <(series_patches)
"${G[@]}" update-ref "$applied_ref" HEAD
[ $mode != bench ] || "${G[@]}" config pcompact.series-key "$series_key"
log "apply: $n patches on $branch in $wt"
echo "$wt"
