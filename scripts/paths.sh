#!/usr/bin/env bash
# Print one of the project's paths, for the Makefile.
#
# usage: scripts/paths.sh cache|base-tree|series-worktree|series-dir|check-worktree
. "$(dirname "$0")/lib.sh"
case "${1:-}" in
cache) echo "$PCOMPACT_CACHE" ;;
base-tree) echo "$KERNEL_TREE" ;;
series-worktree) echo "$SERIES_WORKTREE" ;;
check-worktree) echo "$CHECK_WORKTREE" ;;
series-dir) echo "$SERIES_DIR" ;;
*) usage; exit 1 ;;
esac
