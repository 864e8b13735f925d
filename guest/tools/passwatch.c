// SPDX-License-Identifier: GPL-2.0
/*
 * passwatch: is a write to vm.compaction_proactiveness (or another knob of
 * proactive compaction, -f) during a proactive pass used at kcompactd's
 * next decision, or lost?
 *
 * With the compaction tracepoints on (clock "mono") and trace_pipe read
 * as events come:
 *   1. write START to the sysctl, which wakes kcompactd for a proactive
 *      check (the node must be fragmented enough to start a pass at
 *      START);
 *   2. at the first mm_compaction_begin of kcompactdNODE, write VALUE to
 *      the sysctl and mark the write in the trace (trace_marker);
 *   3. at that pass's mm_compaction_end, check that the mark came before
 *      it: the write landed during the pass. If it did not, the write
 *      started another pass of its own; try again at its begin, writing
 *      START and VALUE in turn, up to ATTEMPTS times;
 *   4. time the next mm_compaction_begin of kcompactdNODE from that end.
 * A kernel that uses the value written during the pass begins the next
 * decision's pass at once; one that drops the trigger waits out its
 * timeout (32 s after a pass that did not lower the score).
 *
 * The node must have a single populated zone (one begin and one end per
 * pass), for example node 1 of the test guest (DMA32).
 *
 * usage: passwatch -n NODE -s START -w VALUE [-f FILE] [-T SEC] [-a ATTEMPTS] [-v]
 *   -f FILE      the knob written (default the sysctl above); START and
 *                VALUE must start a pass there
 *   -T SEC       give up waiting for an event after SEC seconds (60)
 *   -a ATTEMPTS  writes to try before giving up on landing one during a
 *                pass (20)
 *   -v           print on stderr the events of NODE (kcompactdNODE's and
 *                kswapdNODE's, and those with "nid=NODE ") from the last
 *                begin written at on, the last 64 of them, with the marks:
 *                what a failed trial shows (why no pass came: kswapd awake,
 *                a deferral). The caller enables the events it wants.
 *
 * Output: one JSON line: "during_pass" 1 if a write landed during a pass,
 * "next_pass_ms" from that pass's end to the next begin (or the timeout,
 * with "next_pass" 0), "pass_ms" the pass's length, "attempts", "lost"
 * the lines of trace_pipe saying it lost events (then a begin may be
 * missing, and the timing proves nothing: the caller retries). Exit
 * status 0 when the events were seen, 1 when no write landed during a
 * pass or no pass came, 2 on a setup error.
 */
#include "workload.h"
#include "tracepipe.h"

#define PROACTIVENESS	"/proc/sys/vm/compaction_proactiveness"
#define MARK		"passwatch: wrote proactiveness"

static int marker;
static long tries;
static const char *knob = PROACTIVENESS;

/* -v: the events of the node since the begin written at, the last LOG_MAX */
#define LOG_MAX		64
static char evlog[LOG_MAX][256];
static long evlog_n;
static char comm[32], kswapd[32], nid[32];
static long lost;	/* "CPU:N [LOST M EVENTS]" lines of trace_pipe */

static void log_event(const char *line)
{
	if (strstr(line, comm) || strstr(line, kswapd) || strstr(line, nid) ||
	    strstr(line, MARK) || strstr(line, "[LOST "))
		snprintf(evlog[evlog_n++ % LOG_MAX], sizeof(evlog[0]), "%s", line);
}

static void print_log(void)
{
	long i = evlog_n > LOG_MAX ? evlog_n - LOG_MAX : 0;

	if (i)
		fprintf(stderr, "passwatch: %ld earlier events not kept\n", i);
	for (; i < evlog_n; i++)
		fprintf(stderr, "%s\n", evlog[i % LOG_MAX]);
}

/* At a pass's begin: write START or VALUE in turn, and mark it in the trace */
static void write_now(long start, long value)
{
	char val[16];

	snprintf(val, sizeof(val), "%ld", tries % 2 ? start : value);
	write_file(knob, val);
	if (write(marker, MARK, strlen(MARK)) < 0)
		die("writing trace_marker");
	tries++;
}

int main(int argc, char **argv)
{
	long node = -1, start = -1, value = -1, timeout = 60, attempts = 20;
	double t_begin = 0, t_mark = 0, t_end = 0, t_next = 0, deadline;
	int opt, fd, state = 0, during = 0, verbose = 0;
	char line[1024], val[16];

	workload_name = "passwatch";
	while ((opt = getopt(argc, argv, "n:s:w:f:T:a:v")) != -1) {
		switch (opt) {
		case 'n': node = atol(optarg); break;
		case 's': start = atol(optarg); break;
		case 'w': value = atol(optarg); break;
		case 'f': knob = optarg; break;
		case 'T': timeout = atol(optarg); break;
		case 'a': attempts = atol(optarg); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of passwatch.c\n");
			return 2;
		}
	}
	if (node < 0 || start < 1 || start > 100 || value < 1 || value > 100 ||
	    timeout < 1 || attempts < 1) {
		fprintf(stderr, "passwatch: give -n NODE, -s START and -w VALUE (1..100)\n");
		return 2;
	}
	snprintf(comm, sizeof(comm), "kcompactd%ld-", node);
	snprintf(kswapd, sizeof(kswapd), "kswapd%ld-", node);
	snprintf(nid, sizeof(nid), "nid=%ld ", node);
	/* the events are left as they were found */
	char was_begin[2] = { first_char(TRACING "/events/compaction/mm_compaction_begin/enable") };
	char was_end[2] = { first_char(TRACING "/events/compaction/mm_compaction_end/enable") };

	write_file(TRACING "/tracing_on", "0");
	write_file(TRACING "/trace_clock", "mono");
	write_file(TRACING "/events/compaction/mm_compaction_begin/enable", "1");
	write_file(TRACING "/events/compaction/mm_compaction_end/enable", "1");
	write_file(TRACING "/trace", "");
	fd = open(TRACING "/trace_pipe", O_RDONLY | O_NONBLOCK);
	marker = open(TRACING "/trace_marker", O_WRONLY);
	if (fd < 0 || marker < 0)
		die("opening trace_pipe and trace_marker");
	write_file(TRACING "/tracing_on", "1");

	snprintf(val, sizeof(val), "%ld", start);
	write_file(knob, val);
	deadline = now_us() + timeout * 1e6;
	/*
	 * state 0: waiting for a begin (write at it); 1: waiting for its end;
	 * 2: waiting for the next begin
	 */
	while (state < 3 && next_line(fd, line, sizeof(line), deadline)) {
		char *ev;

		if (strstr(line, " EVENTS]") && strstr(line, "[LOST ")) {
			lost++;
			log_event(line);
			continue;
		}
		if (verbose && state > 0)
			log_event(line);
		if ((ev = strstr(line, ": tracing_mark_write: ")) && strstr(ev, MARK)) {
			t_mark = stamp(line, ev);
			continue;
		}
		if (!strstr(line, comm))
			continue;
		if ((ev = strstr(line, ": mm_compaction_begin:"))) {
			if (state == 2) {
				t_next = stamp(line, ev);
				state = 3;
				break;
			}
			if (state == 0) {
				t_begin = stamp(line, ev);
				evlog_n = 0;
				if (verbose)
					log_event(line);
				write_now(start, value);
				state = 1;
				deadline = now_us() + timeout * 1e6;
			}
		} else if ((ev = strstr(line, ": mm_compaction_end:")) && state == 1) {
			t_end = stamp(line, ev);
			/* the mark may come after the end in the pipe: let it arrive */
			if (!t_mark) {
				double until = now_us() + 200e3;

				while (!t_mark && next_line(fd, line, sizeof(line), until)) {
					char *m = strstr(line, ": tracing_mark_write: ");

					if (verbose)
						log_event(line);
					if (m && strstr(m, MARK))
						t_mark = stamp(line, m);
					else if (strstr(line, comm) && strstr(line, ": mm_compaction_begin:")) {
						/* already the next pass: handled below */
						t_next = stamp(line, strstr(line, ": mm_compaction_begin:"));
					}
				}
			}
			if (t_mark && t_mark < t_end) {
				during = 1;
				state = t_next ? 3 : 2;
				deadline = now_us() + timeout * 1e6;
			} else if (tries >= attempts) {
				break;
			} else {
				/* the write came after the pass; it started one of its own */
				t_mark = 0;
				state = 0;
				if (t_next) {
					/* that pass has begun: write at it */
					t_begin = t_next;
					t_next = 0;
					write_now(start, value);
					state = 1;
				}
				deadline = now_us() + timeout * 1e6;
			}
		}
	}
	write_file(TRACING "/events/compaction/mm_compaction_begin/enable", was_begin);
	write_file(TRACING "/events/compaction/mm_compaction_end/enable", was_end);
	if (verbose)
		print_log();
	printf("{\"workload\":\"passwatch\",\"node\":%ld,\"start\":%ld,\"value\":%ld,"
	       "\"attempts\":%ld,\"during_pass\":%d,\"pass_ms\":%.1f,\"next_pass\":%d,"
	       "\"next_pass_ms\":%.1f,\"lost\":%ld}\n",
	       node, start, value, tries, during, during ? (t_end - t_begin) / 1e3 : 0,
	       state == 3, state == 3 ? (t_next - t_end) / 1e3 : during ? timeout * 1e3 : 0, lost);
	return during && state == 3 ? 0 : 1;
}
