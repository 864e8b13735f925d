# Proactive compaction v2 for mainline (7.3) and 6.12 LTS: the front door.
# BASE=7.3 (default) or BASE=6.12 picks the base of every target but check,
# which runs both.
# `make check` is the test command (CI runs exactly it); `make bench` the
# main job. Long steps print progress; logs go under the cache
# (PCOMPACT_CACHE, default ~/.cache/pcompact).

SHELL := /bin/bash
S := scripts

.PHONY: help deps base apply export build boot check check-selftest kunit bench bench-smoke stress mm-selftests clean-cache

help:
	@echo "make check    every test, both bases: series, git am, checkpatch, bisect"
	@echo "              builds, W=1/sparse, coccicheck, allocator layout, boot +"
	@echo "              KUnit at boot + in-guest tests, the fixes' guards on the"
	@echo "              unpatched base; on 7.3 also KUnit (UML) and the bench smoke"
	@echo "make check-selftest  break a copy of the repo 4 ways, and plant a WARN and a"
	@echo "              changed page in the debug kernel's storm (CHECK_ONLY=stress):"
	@echo "              make check must fail each, naming it"
	@echo "make bench    the main job: build the base and the patched kernel, boot"
	@echo "              both in QEMU, run thp-frag mthp-64k idle (SCENARIOS=\"...\","
	@echo "              RUNS=N), compare them: benchmarks/results/SCENARIO.md"
	@echo "make bench-smoke  every scenario for a few seconds on both kernels"
	@echo "make stress   the debug kernel (KASAN, lockdep, DEBUG_VM) under the storm,"
	@echo "              then the mm selftests (MINUTES=10, KERNEL=patched|base,"
	@echo "              SELFTESTS=0: the storm only): debug/stress/NAME.txt"
	@echo "make mm-selftests  the kernel's mm selftests on the debug kernel"
	@echo "              (KERNEL=patched|base): debug/mm-selftests/BASE-KIND.txt"
	@echo "make boot     a shell in the patched guest (BATCH=1: run the tests)"
	@echo "make apply    apply patches/ to the developer branch (\$$SERIES_BRANCH)"
	@echo "make export   regenerate patches/ from that branch"
	@echo "make build    build the guest kernel of the developer branch"
	@echo "make kunit    KUnit under UML on the developer branch"
	@echo "make deps     install the Debian packages (as root)"
	@echo "BASE=7.3 (default) or BASE=6.12: the base (patches/ or backport-6.12/)"
	@echo "Set KERNEL_DIR=/path/to/linux (with the base's tag) to use your own tree."

deps:
	@$(S)/deps.sh

base: deps
	@$(S)/base-tree.sh >/dev/null

check:
	@$(S)/check.sh

# Proves make check fails, naming the culprit, on each defect it must catch.
check-selftest:
	@$(S)/check-selftest.sh

apply: base
	@$(S)/apply.sh

export:
	@$(S)/export.sh

# The developer branch; created from patches/ the first time.
series-tree: base
	@[ -e "$$($(S)/paths.sh series-worktree)/.git" ] || $(S)/apply.sh >/dev/null

build: series-tree
	@$(S)/build.sh --tree "$$($(S)/paths.sh series-worktree)" --out "$$($(S)/paths.sh series-dir)/guest"

kunit: series-tree
	@cd "$$($(S)/paths.sh series-worktree)" && python3 tools/testing/kunit/kunit.py run \
		--kunitconfig="$(CURDIR)/kunit" --build_dir="$$($(S)/paths.sh series-dir)/uml" \
		--make_options "CC=ccache gcc"

boot: build
	@$(S)/initramfs.sh --tree "$$($(S)/paths.sh series-worktree)" --out "$$($(S)/paths.sh series-dir)/initramfs.cpio"
	@$(S)/boot.sh $(if $(BATCH),--batch) --kernel "$$($(S)/paths.sh series-dir)/guest/arch/x86/boot/bzImage" \
		--initrd "$$($(S)/paths.sh series-dir)/initramfs.cpio"

# The main job: benchmarks/run.sh (-h says more). SCENARIOS="thp-frag idle"
# picks scenarios (benchmarks/scenarios), RUNS=N the runs of each.
bench:
	@benchmarks/run.sh $(if $(RUNS),--runs $(RUNS)) $(SCENARIOS)

bench-smoke:
	@benchmarks/run.sh --smoke $(SCENARIOS)

# The debug kernel under the storm: scripts/stress.sh -h says more.
stress:
	@$(S)/stress.sh --kernel $(or $(KERNEL),patched) --minutes $(or $(MINUTES),10) $(if $(filter 0,$(SELFTESTS)),--no-selftests)

mm-selftests:
	@$(S)/run-mm-selftests.sh --kernel $(or $(KERNEL),patched)

clean-cache:
	@echo "removes $$($(S)/paths.sh cache) (base tree, builds, ccache)"; rm -rf "$$($(S)/paths.sh cache)"
