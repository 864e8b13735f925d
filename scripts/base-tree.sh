#!/usr/bin/env bash
# Create the git base tree of BASE once, from Debian's linux-source
# tarball (scripts/fetch-base.sh), and cache it outside the repository.
# With KERNEL_DIR set, only check that tree. Prints the base commit.
#
# usage: BASE=7.3|6.12 scripts/base-tree.sh [-h]
. "$(dirname "$0")/lib.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

if [ -n "${KERNEL_DIR:-}" ]; then
	need_kernel_tree
	base=$(base_commit)
	log "base: using KERNEL_DIR=$KERNEL_DIR at $(git -C "$KERNEL_DIR" describe --always "$base")"
	echo "$base"
	exit 0
fi

if git -C "$BASE_TREE_DIR" rev-parse -q --verify refs/tags/pcompact-base >/dev/null 2>&1; then
	git -C "$BASE_TREE_DIR" rev-parse refs/tags/pcompact-base
	exit 0
fi

tarball=$("$REPO_DIR/scripts/fetch-base.sh") || die "could not fetch the $BASE base (BASE=$BASE scripts/fetch-base.sh)"
base_tree_dir
if git -C "$BASE_TREE_DIR" rev-parse -q --verify refs/tags/pcompact-base >/dev/null 2>&1; then
	git -C "$BASE_TREE_DIR" rev-parse refs/tags/pcompact-base
	exit 0
fi
if [ "$BASE_DEB_FETCHED" != "$BASE_DEB_VERSION" ]; then
	warn "the fetched $BASE_DEB_PACKAGE is $BASE_DEB_FETCHED, not the pinned $BASE_DEB_VERSION.
*** The base tree is made from it; the base-commit hash will differ from the one in $BASE_SERIES_DIR/."
fi

tmp=$BASE_TREE_DIR.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
log "base: extracting $tarball ($BASE_DEB_FETCHED)"
tar -xJf "$tarball" -C "$tmp" --strip-components=1 --no-same-owner
# Debian's .gitignore ends with a stanza ("/*", "!/debian/") that hides the
# whole tree from git. Drop it, and only it.
gi=$tmp/.gitignore
if grep -qx '# Debian packaging: ignore everything at the top level, since it isn'"'"'t' "$gi"; then
	python3 - "$gi" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
i = lines.index("# Debian packaging: ignore everything at the top level, since it isn't")
# the stanza starts with the bare "#" line above the title
start = i - 1 if i > 0 and lines[i - 1] == '#' else i
end = lines.index('!/debian/', i) + 1
del lines[start:end]
while lines and lines[-1] == '' and len(lines) > 1 and lines[-2] == '':
    lines.pop()
open(p, 'w').write('\n'.join(lines))
PY
fi
grep -qx '/\*' "$gi" && die "$gi still ignores the whole tree; check the Debian stanza"

log "base: one-time base commit (about a minute)"
export GIT_AUTHOR_NAME="$BASE_COMMIT_NAME" GIT_AUTHOR_EMAIL="$BASE_COMMIT_EMAIL"
export GIT_COMMITTER_NAME="$BASE_COMMIT_NAME" GIT_COMMITTER_EMAIL="$BASE_COMMIT_EMAIL"
export GIT_AUTHOR_DATE="$BASE_COMMIT_DATE" GIT_COMMITTER_DATE="$BASE_COMMIT_DATE"
git -C "$tmp" init -q -b base
git -C "$tmp" config gc.auto 0
git -C "$tmp" config core.autocrlf false
git -C "$tmp" add -A
git -C "$tmp" commit -q -m "Linux $BASE_UPSTREAM_VERSION as Debian $BASE_DEB_PACKAGE $BASE_DEB_FETCHED" \
	-m "Made by scripts/base-tree.sh from /$BASE_DEB_TARBALL, with Debian's
top-level .gitignore stanza (which ignores the whole tree) removed."
git -C "$tmp" tag pcompact-base
mv "$tmp" "$BASE_TREE_DIR"
base=$(git -C "$BASE_TREE_DIR" rev-parse refs/tags/pcompact-base)
log "base: $BASE_TREE_DIR at $base"
echo "$base"
