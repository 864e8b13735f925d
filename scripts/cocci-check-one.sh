#!/usr/bin/env bash
# A CHECK= program for kbuild: run the kernel's scripts/coccicheck on the
# source files named in PCOMPACT_COCCI_FILES (paths relative to the tree)
# and on nothing else. kbuild with C=2 calls CHECK on every object it
# visits, including the helpers built by `prepare`.
#
# usage: make C=2 CHECK=/path/to/cocci-check-one.sh MODE=report \
#             PCOMPACT_COCCI_FILES="mm/compaction.c" mm/compaction.o
set -euo pipefail
src=${*: -1}
for f in ${PCOMPACT_COCCI_FILES:-}; do
	case "$src" in
	"$f" | */"$f") exec "$srctree/scripts/coccicheck" "$@" ;;
	esac
done
exit 0
