#!/usr/bin/env bash
# The benchmark runner: build the unpatched base and the patched kernel
# from the same config, boot each in QEMU with the same memory and CPUs,
# run every scenario's settings RUNS times, alternating the kernels, and
# compare them in one report.
#
# usage: benchmarks/run.sh [-h] [--runs N] [--smoke] [--corrupt]
#                          [--kernels base,patched] [--out DIR]
#                          [--results DIR] [--patched-build TREE:OUT]
#                          [SCENARIO...]
#   SCENARIO       files in benchmarks/scenarios (default: $SCENARIOS, or
#                  thp-frag mthp-64k idle; with --smoke, all of them)
#   --runs N       runs of each setting on each kernel (default: the
#                  scenario's RUNS, 3)
#   --smoke        a few seconds a scenario (the SMOKE_ sizes), one run, for
#                  make check: proves the harness works, measures nothing
#   --corrupt      every workload flips a byte before it verifies: every
#                  run must fail (proves the verification is live)
#   --kernels K    the kernels to boot (default base,patched)
#   --out DIR      raw logs and results.jsonl (default: a new directory
#                  under the cache, $PCOMPACT_CACHE/bench/)
#   --results DIR  where the report goes: SCENARIO.md and SCENARIO.png
#                  (default benchmarks/results/$BASE; with --smoke,
#                  DIR/report)
#
# BASE=7.3 (default) compares unpatched 7.3.4 with patches/ on it;
# BASE=6.12 the unpatched 6.12.117 with the backport, backport-6.12/.
#   --patched-build TREE:OUT
#                  the patched kernel is already built: source tree TREE
#                  (the series applied, at its tip), build directory OUT
#                  (with configs/guest.config; make check passes its own)
#
# Both kernels are allnoconfig + configs/guest.config, the config of make
# check, booted with kunit.enable=0; the base tree lacks the series'
# Kconfig symbols (COMPACTION_KUNIT_TEST), which its build names and skips.
#
# Exit status: 0 when every run finished and every workload verified its
# memory, 1 otherwise (the failed runs are listed and kept in --out).
. "$(dirname "$0")/../scripts/lib.sh"

runs= smoke=0 corrupt=0 kernels=base,patched out= results= prebuilt=
scenarios=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--runs) runs=$2; shift ;;
	--smoke) smoke=1 ;;
	--corrupt) corrupt=1 ;;
	--kernels) kernels=$2; shift ;;
	--out) out=$2; shift ;;
	--results) results=$2; shift ;;
	--patched-build) prebuilt=$2; shift ;;
	-*) die "unknown option $1 (see -h)" ;;
	*) scenarios+=("$1") ;;
	esac
	shift
done
BENCH=$REPO_DIR/benchmarks
named=${#scenarios[@]}
[ -z "${SCENARIOS:-}" ] || named=1
if [ ${#scenarios[@]} = 0 ]; then
	# the smoke run is there so that no scenario rots: all of them
	if [ $smoke = 1 ]; then
		read -r -a scenarios <<<"${SCENARIOS:-$(cd "$BENCH/scenarios" && echo *)}"
	else
		read -r -a scenarios <<<"${SCENARIOS:-thp-frag mthp-64k idle}"
	fi
fi
for s in "${scenarios[@]}"; do
	[ -f "$BENCH/scenarios/$s" ] ||
		die "no scenario '$s'; there are: $(cd "$BENCH/scenarios" && echo *)"
done
[ -z "$runs" ] || [[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a number from 1"
IFS=, read -r -a KERNELS <<<"$kernels"
for k in "${KERNELS[@]}"; do
	case "$k" in base | patched) ;; *) die "--kernels takes base and/or patched, not '$k'" ;; esac
done
stamp=$(date +%Y%m%d-%H%M%S) run_t0=$(date +%s)
out=${out:-$PCOMPACT_CACHE/bench/$stamp}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$results" ]; then
	if [ $smoke = 1 ] || [ $corrupt = 1 ]; then results=$out/report; else results=$BENCH/results/$BASE; fi
fi
mkdir -p "$results"
export LOG_DIR=$out/logs

# ---- kernels: the base and the series, the same config ----------------------
"$REPO_DIR/scripts/deps.sh"
"$REPO_DIR/scripts/base-tree.sh" >/dev/null
base=$(base_commit)
FRAGS=(--fragment "$REPO_DIR/configs/guest.config")
[ ! -f "$REPO_DIR/configs/bases/$BASE.config" ] || FRAGS+=(--fragment "$REPO_DIR/configs/bases/$BASE.config")
declare -A IMAGE UTS
for k in "${KERNELS[@]}"; do
	skip_absent=()
	if [ "$k" = patched ] && [ -n "$prebuilt" ]; then
		wt=${prebuilt%%:*} kout=${prebuilt#*:}
		[ -f "$kout/arch/x86/boot/bzImage" ] && [ -f "$kout/Module.symvers" ] ||
			die "--patched-build $prebuilt: no bzImage and Module.symvers in $kout (build targets: bzImage modules)"
		log "bench: the patched kernel as built in $kout ($(git -C "$wt" log -1 --format='%h %s' | cut -c1-60))"
	elif [ "$k" = base ]; then
		wt=$(base_worktree)
		kout=$BENCH_BASE_DIR/guest
		skip_absent=(--skip-absent)
	else
		wt=$("$REPO_DIR/scripts/apply.sh" --bench)
		kout=$BENCH_DIR/guest
	fi
	if [ "$k" = base ] || [ -z "$prebuilt" ]; then
		log "bench: building the $k kernel ($(git -C "$wt" log -1 --format='%h %s' | cut -c1-60))"
		LOG_DIR=$out/logs/$k "$REPO_DIR/scripts/build.sh" --tree "$wt" --out "$kout" "${FRAGS[@]}" \
			"${skip_absent[@]}" bzImage modules ||
			die "the $k kernel did not build (log: $out/logs/$k/build-guest.log)"
	fi
	IMAGE[$k]=$kout/arch/x86/boot/bzImage
	# what uname -v says in a guest of this image: the ingest checks that
	# each run booted the kernel it is filed under
	UTS[$k]=$(python3 - "${IMAGE[$k]}" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
o = struct.unpack_from('<H', d, 0x20e)[0] + 0x200	# setup header: kernel_version
s = d[o:d.index(b'\0', o)].decode()
print(s[s.index('#'):])
PY
) || die "no version string in ${IMAGE[$k]}"
	KTREE=$wt
	# khugehog.ko, built against this kernel (out of the repository)
	mod=$out/module-build/$k
	rm -rf "$mod"
	mkdir -p "$mod" "$out/modules/$k"
	cp "$BENCH/module/Kbuild" "$BENCH/module/khugehog.c" "$mod/"
	run_logged "module-$k" make -C "$kout" ARCH=x86_64 CC="ccache gcc" M="$mod" modules ||
		die "benchmarks/module did not build against the $k kernel (log: $LOG_DIR/module-$k.log)"
	cp "$mod/khugehog.ko" "$out/modules/$k/"
done
[ ${#KERNELS[@]} -lt 2 ] || [ "${UTS[base]}" != "${UTS[patched]}" ] ||
	die "the base and the patched kernel have the same version string (${UTS[base]}): rebuild one"
INITRD=$out/initramfs.cpio
"$REPO_DIR/scripts/initramfs.sh" --tree "$KTREE" --out "$INITRD" --bench-modules "$out/modules"

# ---- the plan: scenario, run, setting, kernel (alternating) -------------------
# scenario_var SCENARIO VAR: VAR of the scenario file (SMOKE_VAR in smoke mode)
scenario_var() {
	(
		set +u
		. "$BENCH/guest/scenario.sh"
		load_scenario "$BENCH/scenarios/$1" $smoke
		printf '%s\n' "${!2:-}"
	)
}
PLAN=()
declare -A EST
for s in "${scenarios[@]}"; do
	n=${runs:-$(scenario_var "$s" RUNS)}
	[ $smoke = 0 ] || n=${runs:-1}
	EST[$s]=$(scenario_var "$s" EST_BOOT_SEC)
	for ((r = 1; r <= n; r++)); do
		for set in $(scenario_var "$s" SETTINGS); do
			# odd runs boot the kernels in the given order, even runs reversed
			order=("${KERNELS[@]}")
			if [ $((r % 2)) = 0 ] && [ ${#KERNELS[@]} = 2 ]; then order=("${KERNELS[1]}" "${KERNELS[0]}"); fi
			for k in "${order[@]}"; do PLAN+=("$s $r/$n $set $k"); done
		done
	done
done
total=${#PLAN[@]}
est_total=0
for p in "${PLAN[@]}"; do est_total=$((est_total + ${EST[${p%% *}]:-90})); done
log "bench: ${#scenarios[@]} scenarios (${scenarios[*]}), $total boots, about $((est_total / 60 + 1)) min; raw logs in $out"
[ $smoke = 0 ] || log "bench: smoke mode: a few seconds a scenario, nothing here is a measurement"
[ $corrupt = 0 ] || log "bench: corrupt mode: every workload flips a byte before it verifies; every run must fail"

# ---- the boots --------------------------------------------------------------------
RESULTS=$out/results.jsonl
: >"$RESULTS"
FAILED=()
declare -A TOOK DONE_S
i=0 t_start=$(date +%s)
for p in "${PLAN[@]}"; do
	read -r s rn set k <<<"$p"
	i=$((i + 1))
	r=${rn%/*}
	dir=$out/$s/$k-$set-run$r
	mkdir -p "$dir"
	t0=$(date +%s)
	rc=0
	GUEST_MEM_MB=$(scenario_var "$s" GUEST_MEM_MB) GUEST_CPUS=$(scenario_var "$s" GUEST_CPUS) \
		GUEST_NODES=$(scenario_var "$s" GUEST_NODES) BOOT_QUIET=1 \
		"$REPO_DIR/scripts/boot.sh" --bench --log-dir "$dir" --timeout "${BOOT_TIMEOUT:-$((${EST[$s]:-90} * 4 + 120))}" \
		--kernel "${IMAGE[$k]}" --initrd "$INITRD" \
		--append "kunit.enable=0 pcompact.bench=$s pcompact.setting=$set pcompact.kernel=$k pcompact.smoke=$smoke pcompact.corrupt=$corrupt" \
		>"$dir/boot.out" 2>&1 || rc=$?
	summary=$(python3 -B "$BENCH/report.py" ingest --scenario-file "$BENCH/scenarios/$s" \
		--scenario "$s" --kernel "$k" --setting "$set" --run "$r" --boot-status "$rc" --expect-uts "${UTS[$k]}" \
		--log "$dir/results.log" --out "$RESULTS" 2>&1) || { [ "$rc" != 0 ] || rc=1; }
	took=$(($(date +%s) - t0))
	TOOK[$s]=$((${TOOK[$s]:-0} + took)) DONE_S[$s]=$((${DONE_S[$s]:-0} + 1))
	# time left: each remaining boot at its scenario's measured average
	left=0
	for q in "${PLAN[@]:$i}"; do
		qs=${q%% *}
		if [ -n "${DONE_S[$qs]:-}" ]; then left=$((left + TOOK[$qs] / DONE_S[$qs])); else left=$((left + ${EST[$qs]:-90})); fi
	done
	status=ok
	if [ "$rc" != 0 ]; then
		status=FAILED
		FAILED+=("$s $k $set run $r: $(tail -n 3 "$dir/boot.out" | tr '\n' ' ')$summary (logs: $dir)")
	fi
	log "bench [$i/$total] $s $set $k run $rn: ${took}s $status${summary:+, $summary}; about $(((left + 59) / 60)) min left"
done
log "bench: $total boots in $((($(date +%s) - t_start) / 60)) min $((($(date +%s) - t_start) % 60)) s"

# ---- the report -----------------------------------------------------------------
series="$(series_patches | wc -l) patches of $BASE_SERIES_DIR/ (Linux $BASE_UPSTREAM_VERSION) at commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -z "$(git -C "$REPO_DIR" status --porcelain -- "$BASE_SERIES_DIR" 2>/dev/null)" ] || series+=" ($BASE_SERIES_DIR/ modified)"
# the command that made this, as a user would type it again
cmd="make bench"
[ "$named" = 0 ] || cmd+=" SCENARIOS=\"${scenarios[*]}\""
[ -z "$runs" ] || cmd+=" RUNS=$runs"
if [ $smoke = 1 ] || [ $corrupt = 1 ] || [ "$kernels" != base,patched ]; then
	cmd="benchmarks/run.sh${runs:+ --runs $runs}$([ $smoke = 0 ] || echo ' --smoke')$([ $corrupt = 0 ] || echo ' --corrupt') --kernels $kernels ${scenarios[*]}"
fi
report_ok=1
python3 -B "$BENCH/report.py" report --results "$RESULTS" --scenarios-dir "$BENCH/scenarios" \
	--out-dir "$results" --command "$cmd" --smoke "$smoke" --series "$series" "${scenarios[@]}" ||
	report_ok=0
log "bench: report in $results (raw logs and results.jsonl in $out)"
log "bench: done in $((($(date +%s) - run_t0) / 60)) min $((($(date +%s) - run_t0) % 60)) s, kernel builds included"

if [ ${#FAILED[@]} -gt 0 ]; then
	printf '\n%d of %d runs FAILED:\n' "${#FAILED[@]}" "$total" >&2
	printf '  - %s\n' "${FAILED[@]}" >&2
fi
[ $report_ok = 1 ] || printf '\nthe report failed (benchmarks/report.py, output above)\n' >&2
[ ${#FAILED[@]} = 0 ] && [ $report_ok = 1 ]
