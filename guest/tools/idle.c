// SPDX-License-Identifier: GPL-2.0
/*
 * idle: what kcompactd costs a quiet system, and how fast it reacts.
 *
 * 1. Over a quiet period of QUIET seconds, count each kcompactd thread's
 *    voluntary context switches (/proc/PID/status: each sleep is one
 *    wake-up; preemptions are not counted) and
 *    its CPU time (/proc/PID/schedstat, or utime+stime from /proc/PID/stat
 *    where the kernel has no schedstat).
 * 2. With -F, fragment node NODE by running `fragment -n NODE -F MARGIN`
 *    and time from the end of its release ("t_released_us") to the first
 *    compaction by that node's kcompactd: the first mm_compaction_begin
 *    event of kcompactdNODE in the trace, whose clock is set to "mono"
 *    (CLOCK_MONOTONIC, the fragmenter's clock). The fragmenter's lines,
 *    its verification among them, are passed on.
 * 3. With -P, from a known kcompactd state: the fill and the release run
 *    at vm.compaction_proactiveness 0, so no proactive pass can start
 *    during them, nor defer the next one by 32 s (a pass that does not
 *    lower the score does that); once every pass kcompactdNODE began has
 *    ended (mm_compaction_end), P is written to the sysctl, which wakes
 *    every kcompactd for a proactive check, and the reaction is timed
 *    from that write ("reaction_ms"; "from_release_ms" beside it).
 *    Without -P the reaction is the free-running one, which a deferral
 *    left by earlier compaction can delay by up to 32 s.
 *
 * usage: idle -q QUIET [-F MARGIN_MIB [-n NODE] [-T TIMEOUT] [-P P]] [-C]
 *   -q QUIET   seconds of quiet
 *   -F MIB     then fragment NODE until MIB are free, and time the reaction
 *   -n NODE    the node to fragment (default 0)
 *   -T SEC     give up waiting for kcompactd after SEC seconds (default 60):
 *              "reacted" is then 0 and "reaction_ms" the timeout, a lower
 *              bound (the run still counts: a kernel that never reacts
 *              must show in the medians, not drop out of them)
 *   -P P       fill at proactiveness 0, then write P (1..100) and time
 *              the reaction from that write (see 3.)
 *   -C         pass -C to the fragmenter (its verification must then fail)
 *
 * Output: one JSON line for the quiet period, one for the reaction, and
 * the fragmenter's. Exit status: 1 when a page changed (the fragmenter's
 * verification), 2 on a setup error, else 0.
 */
#include <dirent.h>
#include <sys/wait.h>
#include "workload.h"
#include "tracepipe.h"

#define MAX_NODES	64
#define PROACTIVENESS	"/proc/sys/vm/compaction_proactiveness"

struct kthread {
	int pid;
	long switches;
	double cpu_ms;
};

static struct kthread kcd[MAX_NODES];
static int nodes;

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* Find kcompactd0..N: their PIDs by /proc/PID/comm */
static void find_kcompactd(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[64], comm[32];
	int node;

	if (!d)
		die("opening /proc");
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (read_file(path, comm, sizeof(comm)))
			continue;
		if (sscanf(comm, "kcompactd%d", &node) == 1 && node >= 0 && node < MAX_NODES) {
			kcd[node].pid = pid;
			if (node + 1 > nodes)
				nodes = node + 1;
		}
	}
	closedir(d);
	if (!nodes) {
		errno = 0;
		die("no kcompactd thread found");
	}
}

/* Context switches and CPU time (ms) of @pid */
static void sample(int pid, long *switches, double *cpu_ms)
{
	char path[64], buf[1024];
	unsigned long long ns;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	*switches = file_field(path, "voluntary_ctxt_switches:");
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	if (!read_file(path, buf, sizeof(buf)) && sscanf(buf, "%llu", &ns) == 1) {
		*cpu_ms = ns / 1e6;
		return;
	}
	/* no schedstat: utime and stime, fields 14 and 15, in clock ticks */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)))
		die("reading /proc/PID/stat");
	{
		char *p = strrchr(buf, ')');
		unsigned long ut = 0, st = 0;

		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				 &ut, &st) != 2)
			die("parsing /proc/PID/stat");
		*cpu_ms = (ut + st) * 1000.0 / sysconf(_SC_CLK_TCK);
	}
}

/*
 * Walk kcompactd@node's mm_compaction_begin and _end events in the trace:
 * return the time (us, CLOCK_MONOTONIC) of the first begin at or after
 * @since, or 0; *@unended gets the number of begins without their end.
 */
static double first_pass(int node, double since, int *unended)
{
	static char buf[1 << 20];
	char comm[32], *line, *save;
	int fd = open(TRACING "/trace", O_RDONLY);
	ssize_t n, len = 0;
	double first = 0;

	if (fd < 0)
		die("opening the trace");
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	*unended = 0;
	snprintf(comm, sizeof(comm), "kcompactd%d-", node);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ev = strstr(line, ": mm_compaction_begin:"), *t;
		double ts;

		if (line[0] == '#' || !strstr(line, comm))
			continue;
		if (!ev) {
			if (strstr(line, ": mm_compaction_end:") && *unended > 0)
				(*unended)--;
			continue;
		}
		(*unended)++;
		/* the timestamp ends where the event name starts */
		t = ev;
		while (t > line && (t[-1] == '.' || (t[-1] >= '0' && t[-1] <= '9')))
			t--;
		ts = strtod(t, NULL) * 1e6;
		if (ts >= since && !first)
			first = ts;
	}
	return first;
}

int main(int argc, char **argv)
{
	long quiet = -1, margin = -1, node = 0, timeout = 60, enable = -1;
	long sw0[MAX_NODES], sw1;
	double cpu0[MAX_NODES], cpu1, sum_rate = 0, sum_cpu = 0;
	int corrupt = 0, opt, pipefd[2], status, open_passes;
	char line[1024];
	FILE *frag;
	pid_t pid;

	workload_name = "idle";
	while ((opt = getopt(argc, argv, "+q:F:n:T:P:C")) != -1) {
		switch (opt) {
		case 'q': quiet = atol(optarg); break;
		case 'F': margin = atol(optarg); break;
		case 'n': node = atol(optarg); break;
		case 'T': timeout = atol(optarg); break;
		case 'P': enable = atol(optarg); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of idle.c\n");
			return 2;
		}
	}
	if (quiet < 1 || node < 0 || node >= MAX_NODES || timeout < 1) {
		fprintf(stderr, "idle: give -q QUIET (seconds, at least 1)\n");
		return 2;
	}
	if (enable != -1 && (enable < 1 || enable > 100)) {
		fprintf(stderr, "idle: -P takes a proactiveness from 1 to 100\n");
		return 2;
	}
	find_kcompactd();

	/* 1. the quiet period */
	for (int i = 0; i < nodes; i++)
		if (kcd[i].pid)
			sample(kcd[i].pid, &sw0[i], &cpu0[i]);
	sleep(quiet);
	printf("{\"workload\":\"idle\",\"event\":\"quiet\",\"seconds\":%ld,\"nodes\":%d", quiet, nodes);
	for (int i = 0; i < nodes; i++) {
		if (!kcd[i].pid)
			continue;
		sample(kcd[i].pid, &sw1, &cpu1);
		printf(",\"node%d_wakeups_per_s\":%.2f,\"node%d_cpu_ms\":%.2f",
		       i, (double)(sw1 - sw0[i]) / quiet, i, cpu1 - cpu0[i]);
		sum_rate += (double)(sw1 - sw0[i]) / quiet;
		sum_cpu += cpu1 - cpu0[i];
	}
	printf(",\"wakeups_per_s_per_node\":%.2f,\"cpu_ms_per_node\":%.2f}\n",
	       sum_rate / nodes, sum_cpu / nodes);
	fflush(stdout);
	if (margin < 0)
		return 0;

	/* 2. fragment the node and wait for its kcompactd */
	write_file(TRACING "/trace_clock", "mono");
	write_file(TRACING "/events/compaction/mm_compaction_begin/enable", "1");
	write_file(TRACING "/events/compaction/mm_compaction_end/enable", "1");
	write_file(TRACING "/trace", "");
	if (enable > 0)
		write_file(PROACTIVENESS, "0");
	if (pipe(pipefd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		char n[24], m[24];

		snprintf(n, sizeof(n), "%ld", node);
		snprintf(m, sizeof(m), "%ld", margin);
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execlp("fragment", "fragment", "-n", n, "-F", m, corrupt ? "-C" : NULL, NULL);
		_exit(127);
	}
	close(pipefd[1]);
	frag = fdopen(pipefd[0], "r");
	if (!frag || !fgets(line, sizeof(line), frag)) {
		errno = 0;
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			die("the fragmenter was killed (SIGKILL: the OOM killer? see the kernel log)");
		die("the fragmenter ended without fragmenting");
	}
	fputs(line, stdout);
	{
		char *t = strstr(line, "\"t_released_us\":");
		double released, start, seen = 0, deadline;

		if (!t) {
			errno = 0;
			die("the fragmenter did not fragment");
		}
		released = strtod(t + strlen("\"t_released_us\":"), NULL);
		start = released;
		if (enable > 0) {
			char val[8];

			/* no pass of kcompactd@node running: else 6.12 and 7.3 drop the trigger */
			deadline = now_us() + timeout * 1e6;
			first_pass(node, 0, &open_passes);
			while (open_passes && now_us() < deadline) {
				usleep(10000);
				first_pass(node, 0, &open_passes);
			}
			if (open_passes) {
				errno = 0;
				die("kcompactd kept compacting at proactiveness 0 (reactive work?)");
			}
			snprintf(val, sizeof(val), "%ld", enable);
			start = now_us();
			write_file(PROACTIVENESS, val);
		}
		deadline = now_us() + timeout * 1e6;
		while (now_us() < deadline && !(seen = first_pass(node, start, &open_passes)))
			usleep(10000);
		printf("{\"workload\":\"idle\",\"event\":\"reaction\",\"node\":%ld,\"reacted\":%d,\"reaction_ms\":%.1f,\"from_release_ms\":%.1f,\"triggered\":%d}\n",
		       node, seen ? 1 : 0, seen ? (seen - start) / 1e3 : timeout * 1e3,
		       seen ? (seen - released) / 1e3 : (now_us() - released) / 1e3, enable > 0);
		fflush(stdout);
		write_file(TRACING "/events/compaction/mm_compaction_begin/enable", "0");
		write_file(TRACING "/events/compaction/mm_compaction_end/enable", "0");
		kill(pid, SIGTERM);
		while (fgets(line, sizeof(line), frag))
			fputs(line, stdout);
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status))
			return 2;
		return WEXITSTATUS(status);
	}
}
