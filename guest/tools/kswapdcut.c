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
 *   2. arm the holder, a SCHED_FIFO thread on NODE's CPU (the node must
 *      have one CPU), which waits in poll() on a trace instance of its
 *      own that records only kcompactdNODE's mm_compaction_begin; write
 *      START to vm.compaction_proactiveness, which wakes kcompactd for a
 *      proactive check (the node must score above START's high
 *      threshold, and a pass must not be able to lower the score);
 *   3. the pass's begin wakes the holder, which preempts kcompactd on its
 *      CPU: kcompactd is now held inside the pass, past the decision
 *      (which starts nothing while kswapd runs). The holder takes pages,
 *      16 at a time, until kswapdNODE is runnable (order 0; the pages
 *      first come from the per-cpu list, so the count needed is not
 *      known; at most halfway from the low watermark to the min one),
 *      and lets go of the CPU. kswapdNODE runs at nice 19 meanwhile (its
 *      own value is put back at the end), so that kcompactd, not kswapd,
 *      gets the CPU back first and finds kswapd still runnable at its
 *      next check, however short the pass; kswapd then reclaims to the
 *      high watermark (swap must be on: what it reclaims is these pages);
 *   4. at the end of the pass of kcompactdNODE, note its status
 *      ("partial_skipped": kswapd cut it) and free the memory taken, so
 *      that the node has room again;
 *   5. time the next mm_compaction_begin of kcompactdNODE from that end.
 * A pass too short to be preempted ends before kswapd is woken
 * ("complete"), and kswapd woken by something else before the decision
 * starts no pass ("no_pass"); the events say which, and steps 1-4 are
 * tried again, writing START - 1 and START in turn, up to ATTEMPTS times,
 * until a pass is cut. Before the holder, the pages were taken from
 * another CPU at the write, a race with the pass that a short pass
 * (6.12.117, nearly full node) lost 20 times in a row.
 * A kernel that does not defer a cut pass begins the next one at its next
 * check (500 ms); one that defers it waits 32 s (kswapd, woken for order
 * 0, does not wake kcompactd when it sleeps).
 *
 * The node must have a single populated zone (one begin and one end per
 * pass), for example node 1 of the test guest (DMA32).
 *
 * usage: kswapdcut -n NODE -s START [-c CPU] [-T SEC] [-a ATTEMPTS]
 *   -c CPU       run on CPU, not NODE's (default 0); the holder runs on
 *                NODE's
 *   -T SEC       give up waiting for the next pass after SEC seconds (60)
 *   -a ATTEMPTS  tries before giving up on a pass kswapd cuts (20)
 *
 * Output: one JSON line: "attempts", of which "no_pass" began no pass and
 * "complete" ended before kswapd ran; "held" attempts in which the holder
 * caught the pass's begin; "cut" 1 if a pass ended
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
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define PROACTIVENESS	"/proc/sys/vm/compaction_proactiveness"
#define HEADROOM	128	/* pages above the low watermark, at most */
#define ROOM		48	/* and at least (a pass needs 32) */
#define STEP		16	/* pages the burst takes at a time */
#define INSTANCE	TRACING "/instances/kswapdcut"

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

/* The pid of the kernel thread named @name, or -1 */
static pid_t find_kthread(const char *name)
{
	char want[40], path[300], buf[256];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	pid_t pid = -1;

	if (!dir)
		die("opening /proc");
	snprintf(want, sizeof(want), "(%s)", name);
	while (pid < 0 && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && strstr(buf, want))
			pid = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return pid;
}

static pid_t kswapd_pid;

/* The state of kswapdNODE from /proc: 'R' while it runs or is runnable */
static char kswapd_state(void)
{
	char path[64], buf[256], *c;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", kswapd_pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("opening kswapd's /proc/PID/stat");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("reading kswapd's /proc/PID/stat");
	buf[n] = 0;
	c = strrchr(buf, ')');
	return c && c[1] == ' ' ? c[2] : '?';
}

/*
 * The holder: on NODE's CPU at SCHED_FIFO, armed by the main thread for
 * each attempt. It waits up to 2 s for kcompactdNODE's begin in its trace
 * instance, then, kcompactd preempted, takes pages until kswapd is
 * runnable, and posts the outcome.
 */
static sem_t arm, done;
static int inst_fd, held, holder_quit;
static int holder_cpu;

static void *holder(void *unused)
{
	struct sched_param sp = { .sched_priority = 50 };
	cpu_set_t cpus;
	int err;

	(void)unused;
	CPU_ZERO(&cpus);
	CPU_SET(holder_cpu, &cpus);
	err = pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);
	if (!err)
		err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (err) {
		errno = err;
		die("the holder's CPU or SCHED_FIFO");
	}
	for (;;) {
		struct pollfd pfd = { .fd = inst_fd, .events = POLLIN };

		while (sem_wait(&arm) && errno == EINTR)
			;
		if (holder_quit)
			return NULL;
		held = 0;
		if (poll(&pfd, 1, 2000) == 1 && (pfd.revents & POLLIN)) {
			held = 1;
			for (long b = 0; kswapd_state() != 'R' && b < burst_max; b += STEP)
				take(STEP);
		}
		sem_post(&done);
	}
}

/* The holder's trace instance: kcompactdNODE's begins, nothing else */
static void instance_setup(pid_t kcompactd)
{
	char filter[64];

	if (mkdir(INSTANCE, 0755) && errno != EEXIST)
		die("mkdir " INSTANCE);
	/* poll() returns at the first event, not with the buffer half full */
	write_file(INSTANCE "/buffer_percent", "0");
	snprintf(filter, sizeof(filter), "common_pid == %d", kcompactd);
	write_file(INSTANCE "/events/compaction/mm_compaction_begin/filter", filter);
	write_file(INSTANCE "/events/compaction/mm_compaction_begin/enable", "1");
	inst_fd = open(INSTANCE "/trace_pipe", O_RDONLY | O_NONBLOCK);
	if (inst_fd < 0)
		die("opening " INSTANCE "/trace_pipe");
}

/* Empty the instance's buffer before an attempt */
static void instance_drain(void)
{
	char buf[4096];

	write_file(INSTANCE "/trace", "");
	while (read(inst_fd, buf, sizeof(buf)) > 0)
		;
}

static void instance_remove(void)
{
	close(inst_fd);
	write_file(INSTANCE "/events/compaction/mm_compaction_begin/enable", "0");
	if (rmdir(INSTANCE))
		fprintf(stderr, "kswapdcut: rmdir %s: %s\n", INSTANCE, strerror(errno));
}

/* The single CPU of NODE, from sysfs; -1 if it has none or several */
static int node_cpu(long node)
{
	char path[80], buf[64];
	int fd, n, cpu, end;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%ld/cpulist", node);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%d%n", &cpu, &end) != 1 || (buf[end] != '\n' && buf[end]))
		return -1;
	return cpu;
}

int main(int argc, char **argv)
{
	long node = -1, start = -1, cpu = 0, timeout = 60, attempts = 20;
	long tries = 0, left, no_pass = 0, complete = 0, nheld = 0;
	double t_next = 0, deadline;
	int opt, fd, cut = 0, woken = 0, next = 0;
	char line[1024], val[16];
	char was[NR_EVENTS][2];
	cpu_set_t cpus;
	unsigned int i;
	pthread_t th;
	pid_t kcompactd_pid;
	int was_nice;

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
	holder_cpu = node_cpu(node);
	if (holder_cpu < 0 || holder_cpu == cpu) {
		fprintf(stderr, "kswapdcut: node %ld must have one CPU, not CPU %ld (-c)\n", node, cpu);
		return 2;
	}
	snprintf(val, sizeof(val), "kcompactd%ld", node);
	kcompactd_pid = find_kthread(val);
	snprintf(val, sizeof(val), "kswapd%ld", node);
	kswapd_pid = find_kthread(val);
	if (kcompactd_pid < 0 || kswapd_pid < 0) {
		fprintf(stderr, "kswapdcut: no kcompactd%ld or kswapd%ld\n", node, node);
		return 2;
	}
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
	instance_setup(kcompactd_pid);
	if (sem_init(&arm, 0, 0) || sem_init(&done, 0, 0) ||
	    (errno = pthread_create(&th, NULL, holder, NULL)))
		die("starting the holder");
	errno = 0;
	was_nice = getpriority(PRIO_PROCESS, kswapd_pid);
	if (errno || setpriority(PRIO_PROCESS, kswapd_pid, 19))
		die("kswapd's nice value");

	while (!cut && tries < attempts) {
		int begun = 0, ended = 0;

		/* kswapd asleep, the memory back: a known state to start from */
		give_back();
		for (i = 0; kswapd_state() == 'R' && i < 100; i++)
			usleep(50000);
		left = take_down(node);
		if (left < 0)
			break;
		snprintf(val, sizeof(val), "%ld", tries % 2 ? start - 1 : start);
		tries++;
		instance_drain();
		sem_post(&arm);
		usleep(10000);	/* the holder, on its CPU at once, is in poll() */
		write_file(PROACTIVENESS, val);
		while (sem_wait(&done) && errno == EINTR)
			;
		nheld += held;
		woken = 0;
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
	holder_quit = 1;
	sem_post(&arm);
	pthread_join(th, NULL);
	if (setpriority(PRIO_PROCESS, kswapd_pid, was_nice))
		fprintf(stderr, "kswapdcut: kswapd's nice value not put back: %s\n", strerror(errno));
	instance_remove();
	for (i = 0; i < NR_EVENTS; i++) {
		char path[256];

		snprintf(path, sizeof(path), TRACING "/events/%s/enable", events[i]);
		write_file(path, was[i]);
	}
	printf("{\"workload\":\"kswapdcut\",\"node\":%ld,\"start\":%ld,\"attempts\":%ld,"
	       "\"held\":%ld,\"no_pass\":%ld,\"complete\":%ld,\"cut\":%d,\"status\":\"%s\",\"kswapd_woken\":%d,"
	       "\"pass_ms\":%.1f,\"next_pass\":%d,\"next_pass_ms\":%.1f}\n",
	       node, start, tries, nheld, no_pass, complete, cut, status, woken,
	       t_end > t_begin ? (t_end - t_begin) / 1e3 : 0,
	       next, next ? (t_next - t_end) / 1e3 : cut ? timeout * 1e3 : 0);
	return cut && next ? 0 : 1;
}
