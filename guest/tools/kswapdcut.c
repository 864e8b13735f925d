// SPDX-License-Identifier: GPL-2.0
/*
 * kswapdcut: is a proactive pass that kswapd cut short followed by a 32 s
 * deferral, as if compaction were futile on the node?
 *
 * A proactive pass ends as soon as kswapd runs on its node
 * (__compact_finished() returns COMPACT_PARTIAL_SKIPPED). With the
 * compaction and kswapd tracepoints on (clock "mono") and trace_pipe read
 * as events come:
 *   1. take the free memory of NODE, in base pages bound to it, down to
 *      between 48 and 128 pages above the zone's low watermark (at most
 *      256 MiB: fill the node first): no allocation wakes kswapd yet, and
 *      a proactive pass still has room;
 *   2. write START to vm.compaction_proactiveness, which wakes kcompactd
 *      for a proactive check (the node must score above START's high
 *      threshold, and a pass must not be able to lower the score), and
 *      at once take pages, 16 at a time, until kswapd is woken (order 0;
 *      the pages first come from the per-cpu list, so the count needed
 *      is not known; at most halfway from the low watermark to the min
 *      one), which reclaims to the high watermark
 *      (swap must be on: what it reclaims is these pages). kcompactd
 *      decides on its own CPU while the pages are taken; this program
 *      runs on another one (-c);
 *   3. at the end of the pass of kcompactdNODE, note its status
 *      ("partial_skipped": kswapd cut it) and free the memory taken, so
 *      that the node has room again;
 *   4. time the next mm_compaction_begin of kcompactdNODE from that end.
 * Whether kswapd wakes before the decision (no pass: kswapd running
 * holds it off), during the pass (it is cut) or after it ("complete") is
 * a race; the events say which, and steps 1-3 are tried again, writing
 * START - 1 and START in turn, up to ATTEMPTS times, until a pass is cut.
 * A kernel that does not defer a cut pass begins the next one at its next
 * check (500 ms); one that defers it waits 32 s (kswapd, woken for order
 * 0, does not wake kcompactd when it sleeps).
 *
 * The node must have a single populated zone (one begin and one end per
 * pass), for example node 1 of the test guest (DMA32).
 *
 * usage: kswapdcut -n NODE -s START [-c CPU] [-T SEC] [-a ATTEMPTS]
 *   -c CPU       run on CPU, not one of NODE's (default 0)
 *   -T SEC       give up waiting for the next pass after SEC seconds (60)
 *   -a ATTEMPTS  tries before giving up on a pass kswapd cuts (20)
 *
 * Output: one JSON line: "attempts", of which "no_pass" began no pass and
 * "complete" ended before kswapd ran; "cut" 1 if a pass ended
 * partial_skipped; "kswapd_woken" 1 if kswapdNODE was woken in the last
 * attempt (the allocator's mm_vmscan_wakeup_kswapd, or kswapd's
 * mm_vmscan_kswapd_wake); "pass_ms" the cut pass's length; "next_pass_ms"
 * from its end to the next begin (or the timeout, with "next_pass" 0).
 * Exit status 0 when the events were seen, 1 when no pass was cut or no
 * pass came after it, 2 on a setup error.
 */
#include "workload.h"
#include "tracepipe.h"
#include <dirent.h>
#include <sched.h>
#include <sys/mman.h>

#define PROACTIVENESS	"/proc/sys/vm/compaction_proactiveness"
#define HEADROOM	128	/* pages above the low watermark, at most */
#define ROOM		48	/* and at least (a pass needs 32) */
#define STEP		16	/* pages the burst takes at a time */

static const char *events[] = {
	"compaction/mm_compaction_begin", "compaction/mm_compaction_end",
	"vmscan/mm_vmscan_wakeup_kswapd", "vmscan/mm_vmscan_kswapd_wake",
	"vmscan/mm_vmscan_kswapd_sleep",
};
#define NR_EVENTS	(sizeof(events) / sizeof(events[0]))

/* Free pages and min and low watermarks of NODE's zones, from /proc/zoneinfo */
static void node_free(long node, long *free, long *min, long *low)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	int ours = 0;
	long v;

	/* fold the per-cpu counter deltas in first: the counts lag otherwise */
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1)
		die("writing /proc/sys/vm/stat_refresh");
	close(fd);
	if (!f)
		die("opening /proc/zoneinfo");
	*free = *min = *low = 0;
	while (fgets(line, sizeof(line), f)) {
		int n;

		if (sscanf(line, "Node %d,", &n) == 1)
			ours = n == node;
		else if (ours && sscanf(line, " pages free %ld", &v) == 1)
			*free += v;
		else if (ours && sscanf(line, " min %ld", &v) == 1)
			*min += v;
		else if (ours && sscanf(line, " low %ld", &v) == 1)
			*low += v;
	}
	fclose(f);
}

static uint8_t *mem;
static unsigned long cap, taken;	/* pages */
static long burst_max;			/* pages the burst may take */

static void take(unsigned long pages)
{
	for (; pages && taken < cap; pages--, taken++)
		mem[taken * PAGE] = 1;
}

/* The last @pages taken, given back */
static void untake(unsigned long pages)
{
	if (pages > taken)
		pages = taken;
	if (madvise(mem + (taken - pages) * PAGE, pages * PAGE, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED)");
	taken -= pages;
}

/*
 * Step 1: free pages of NODE to between ROOM and HEADROOM above the low
 * watermark, taking pages or giving the last ones back (other
 * allocations on the node move the count too): at most 50 rounds.
 */
static long take_down(long node)
{
	const long aim = (ROOM + HEADROOM) / 2;
	long free, min, low;
	int round;

	node_free(node, &free, &min, &low);
	for (round = 0; round < 50 && (free - low > HEADROOM || free - low < ROOM); round++) {
		if (free - low > HEADROOM) {
			if (taken == cap)
				break;
			take(free - low - aim);
		} else {
			untake(aim - (free - low));
		}
		node_free(node, &free, &min, &low);
	}
	if (free - low > HEADROOM || free - low < ROOM) {
		fprintf(stderr, "kswapdcut: node %ld: %ld pages free, low watermark %ld, %lu pages taken: %s\n",
			node, free, low, taken,
			free - low > HEADROOM ? "fill the node first" : "no room left");
		return -1;
	}
	/* the burst may take the node halfway from low to min, no further */
	burst_max = free - low + (low - min) / 2;
	return free - low;
}

static void give_back(void)
{
	if (madvise(mem, cap * PAGE, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED)");
	taken = 0;
}

static char comm[32], kswapd[32], status[32];
static double t_begin, t_end;

/* One trace line of an attempt: kswapd woken, the pass's begin and end */
static void watch(const char *line, int *begun, int *ended, int *woken)
{
	const char *ev;

	/* the allocator's wake-up, or kswapd's own when it runs */
	if ((strstr(line, ": mm_vmscan_wakeup_kswapd:") ||
	     strstr(line, ": mm_vmscan_kswapd_wake:")) && strstr(line, kswapd)) {
		*woken = 1;
		return;
	}
	if (!strstr(line, comm))
		return;
	if ((ev = strstr(line, ": mm_compaction_begin:")) && !*begun) {
		t_begin = stamp(line, ev);
		*begun = 1;
	} else if ((ev = strstr(line, ": mm_compaction_end:")) && *begun && !*ended) {
		const char *st = strstr(ev, "status=");

		t_end = stamp(line, ev);
		status[0] = 0;
		if (st)
			sscanf(st, "status=%31s", status);
		*ended = 1;
	}
}

/* The state of kswapdNODE from /proc: 'R' while it runs or is runnable */
static char kswapd_state(long node)
{
	char want[32], path[300], buf[256];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	char st = '?';

	if (!dir)
		die("opening /proc");
	snprintf(want, sizeof(want), "(kswapd%ld)", node);
	while (st == '?' && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			char *c = strstr(buf, want);

			if (c)
				st = c[strlen(want) + 1];
		}
		fclose(f);
	}
	closedir(dir);
	return st;
}

int main(int argc, char **argv)
{
	long node = -1, start = -1, cpu = 0, timeout = 60, attempts = 20;
	long tries = 0, left, no_pass = 0, complete = 0;
	double t_next = 0, deadline;
	int opt, fd, cut = 0, woken = 0, next = 0;
	char line[1024], val[16];
	char was[NR_EVENTS][2];
	cpu_set_t cpus;
	unsigned int i;

	workload_name = "kswapdcut";
	while ((opt = getopt(argc, argv, "n:s:c:T:a:")) != -1) {
		switch (opt) {
		case 'n': node = atol(optarg); break;
		case 's': start = atol(optarg); break;
		case 'c': cpu = atol(optarg); break;
		case 'T': timeout = atol(optarg); break;
		case 'a': attempts = atol(optarg); break;
		default:
			fprintf(stderr, "usage: see the comment at the top of kswapdcut.c\n");
			return 2;
		}
	}
	if (node < 0 || start < 2 || start > 100 || cpu < 0 || timeout < 1 || attempts < 1) {
		fprintf(stderr, "kswapdcut: give -n NODE and -s START (2..100)\n");
		return 2;
	}
	snprintf(comm, sizeof(comm), "kcompactd%ld-", node);
	snprintf(kswapd, sizeof(kswapd), "nid=%ld ", node);
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity");

	bind_node(node);
	cap = 256UL << 20 >> 12;	/* at most 256 MiB */
	mem = mmap(NULL, cap * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	if (madvise(mem, cap * PAGE, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");

	/* the events are left as they were found */
	for (i = 0; i < NR_EVENTS; i++) {
		char path[256];

		snprintf(path, sizeof(path), TRACING "/events/%s/enable", events[i]);
		was[i][0] = first_char(path);
		was[i][1] = 0;
		write_file(path, "1");
	}
	write_file(TRACING "/tracing_on", "0");
	write_file(TRACING "/trace_clock", "mono");
	write_file(TRACING "/trace", "");
	fd = open(TRACING "/trace_pipe", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		die("opening trace_pipe");
	write_file(TRACING "/tracing_on", "1");

	while (!cut && tries < attempts) {
		int begun = 0, ended = 0;

		/* kswapd asleep, the memory back: a known state to start from */
		give_back();
		for (i = 0; kswapd_state(node) == 'R' && i < 100; i++)
			usleep(50000);
		left = take_down(node);
		if (left < 0)
			break;
		snprintf(val, sizeof(val), "%ld", tries % 2 ? start - 1 : start);
		tries++;
		woken = 0;
		write_file(PROACTIVENESS, val);
		/*
		 * The burst: STEP pages at a time until kswapd is woken. Pages
		 * come from this CPU's per-cpu list before the zone's free
		 * count falls, so how many it takes is not known in advance.
		 */
		for (long b = 0; !woken && b < burst_max; b += STEP) {
			double until = now_us() + 500;

			take(STEP);
			while (next_line(fd, line, sizeof(line), until))
				watch(line, &begun, &ended, &woken);
		}
		/* the pass's begin within 2 s of the write, its end 2 s after */
		deadline = now_us() + 2e6;
		while (!ended && next_line(fd, line, sizeof(line), deadline)) {
			int was = begun;

			watch(line, &begun, &ended, &woken);
			if (begun && !was)
				deadline = now_us() + 2e6;
		}
		give_back();
		if (!begun)
			no_pass++;	/* kswapd was first: no decision to start */
		else if (ended && !strcmp(status, "partial_skipped"))
			cut = 1;
		else
			complete++;	/* it ended before kswapd ran */
	}
	if (cut) {
		deadline = now_us() + timeout * 1e6;
		while (!next && next_line(fd, line, sizeof(line), deadline)) {
			char *ev = strstr(line, ": mm_compaction_begin:");

			if (ev && strstr(line, comm)) {
				t_next = stamp(line, ev);
				next = 1;
			}
		}
	}
	give_back();
	for (i = 0; i < NR_EVENTS; i++) {
		char path[256];

		snprintf(path, sizeof(path), TRACING "/events/%s/enable", events[i]);
		write_file(path, was[i]);
	}
	printf("{\"workload\":\"kswapdcut\",\"node\":%ld,\"start\":%ld,\"attempts\":%ld,"
	       "\"no_pass\":%ld,\"complete\":%ld,\"cut\":%d,\"status\":\"%s\",\"kswapd_woken\":%d,"
	       "\"pass_ms\":%.1f,\"next_pass\":%d,\"next_pass_ms\":%.1f}\n",
	       node, start, tries, no_pass, complete, cut, status, woken,
	       t_end > t_begin ? (t_end - t_begin) / 1e3 : 0,
	       next, next ? (t_next - t_end) / 1e3 : cut ? timeout * 1e3 : 0);
	return cut && next ? 0 : 1;
}
