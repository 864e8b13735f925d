#!/bin/sh
# The guest's benchmark entry point (pcompact.run=bench): read the
# scenario and the setting from the kernel command line, apply the smoke
# sizes if asked, and run the scenario's guest script. Prints JSON lines;
# exit status 0 when every workload verified its memory and nothing failed.
#   pcompact.bench=SCENARIO  pcompact.setting=SETTING
#   pcompact.kernel=base|patched  which kernel this is (picks the modules)
#   pcompact.smoke=1         the SMOKE_ sizes (make check)
#   pcompact.corrupt=1       every workload flips a byte before it
#                            verifies (the run must then fail)
scenario= setting= smoke=0 corrupt=0 kernel=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	pcompact.bench=*) scenario=${arg#*=} ;;
	pcompact.setting=*) setting=${arg#*=} ;;
	pcompact.smoke=*) smoke=${arg#*=} ;;
	pcompact.corrupt=*) corrupt=${arg#*=} ;;
	pcompact.kernel=*) kernel=${arg#*=} ;;
	esac
done
f=/bench/scenarios/$scenario
if [ -z "$scenario" ] || [ ! -f "$f" ]; then
	echo "{\"phase\":\"end\",\"workload\":\"bench\",\"event\":\"end\",\"status\":2,\"failed\":\"no scenario '$scenario'\"}"
	exit 2
fi
. /bench/scenario.sh
load_scenario "$f" "$smoke"
if [ "$corrupt" = 1 ]; then
	# the workloads are found in PATH: put wrappers that add -C first
	mkdir -p /tmp/corrupt
	for w in fragment thpalloc hotset idle lruseed; do
		printf '#!/bin/sh\nexec /usr/bin/%s "$@" -C\n' $w >/tmp/corrupt/$w
		chmod +x /tmp/corrupt/$w
	done
	PATH=/tmp/corrupt:$PATH
fi
export PATH BENCH_KERNEL=$kernel BENCH_CORRUPT=$corrupt
echo "# scenario $scenario, setting $setting, smoke $smoke, corrupt $corrupt"
exec sh "/bench/$WORKLOAD.sh" "$setting"
