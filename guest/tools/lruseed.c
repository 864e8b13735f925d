// SPDX-License-Identifier: GPL-2.0
/*
 * lruseed: the 2020 anonymous-LRU workingset scenario. A hot set of HOT
 * units is touched a few times, then STREAMS streams of STREAM use-once
 * units are written; the hot set stays in use: a pass over it after every
 * EVERY units of a stream and at its end. (Hot means used between
 * reclaim's looks: no LRU can tell a set that sits idle while the streams
 * run from the streams.) Run in
 * a memory cgroup whose limit is below the total, with swap, the streams
 * push memory out; a good LRU keeps the hot set and sends the use-once
 * units to swap. What the hot-set passes fault back in is the cost:
 * major faults (getrusage) and the cgroup's workingset_refault_anon.
 * At the end every unit, the swapped-out ones too, is checked against
 * its pattern: a changed page fails.
 *
 * usage: lruseed -g CGROUP -u UNIT_MIB -H HOT -S STREAM [-s STREAMS]
 *                [-w WARM] [-e EVERY] [-C]
 *   -g CGROUP  a cgroup v2 directory: the process moves itself there and
 *              reads its memory.stat
 *   -u MIB     unit size
 *   -H HOT     units in the hot set (the 2020 scenario: 50)
 *   -S STREAM  units per use-once stream (50)
 *   -s STREAMS number of streams (2)
 *   -w WARM    passes over the hot set before the streams (3)
 *   -e EVERY   a hot-set pass after every EVERY units of a stream (5)
 *   -C         corrupt one byte before verifying (the run must fail)
 *
 * Output: one JSON line with the hot-set cost of the passes during and
 * after the streams ("hot_refault_pct": their refaults in % of the pages
 * they touch),
 * then one for the verification. Exit status: 0 if every page kept its pattern, 1 if any
 * changed, 2 on a setup error.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include "workload.h"

#define SEED		0x165667B19E3779F9ULL

static char stat_path[512];

static long majflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_majflt;
}

static long refaults(void)
{
	long v = file_field(stat_path, "workingset_refault_anon ");

	if (v < 0)
		die("reading workingset_refault_anon from the cgroup's memory.stat");
	return v;
}

static uint8_t *map_units(long units, size_t unit)
{
	uint8_t *m = mmap(NULL, units * unit, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		die("mmap");
	if (madvise(m, units * unit, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	return m;
}

/* One read of a word of every page */
static void touch(const uint8_t *m, unsigned long npages)
{
	for (unsigned long p = 0; p < npages; p++)
		(void)*(volatile const uint64_t *)(m + p * PAGE);
}

int main(int argc, char **argv)
{
	long unit_mib = 0, hot = 0, stream = 0, streams = 2, warm = 3, every = 5, passes = 0;
	long hot_majflt = 0, hot_refaults = 0, all_refaults, all_majflt, r0, m0;
	unsigned long hot_pages, stream_pages, bad = 0, checked;
	const char *cg = NULL;
	uint8_t *hotm, **streamm;
	int corrupt = 0, opt, fd;
	double t0, t, hot_ms = 0;
	char path[512], pid[32];
	size_t unit;

	workload_name = "lruseed";
	while ((opt = getopt(argc, argv, "+g:u:H:S:s:w:e:C")) != -1) {
		switch (opt) {
		case 'g': cg = optarg; break;
		case 'u': unit_mib = atol(optarg); break;
		case 'H': hot = atol(optarg); break;
		case 'S': stream = atol(optarg); break;
		case 's': streams = atol(optarg); break;
		case 'w': warm = atol(optarg); break;
		case 'e': every = atol(optarg); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of lruseed.c\n");
			return 2;
		}
	}
	if (!cg || unit_mib < 1 || hot < 1 || stream < 1 || streams < 1 || warm < 0 || every < 1) {
		fprintf(stderr, "lruseed: give -g CGROUP -u UNIT_MIB -H HOT -S STREAM\n");
		return 2;
	}
	unit = unit_mib << 20;
	hot_pages = hot * unit / PAGE;
	stream_pages = stream * unit / PAGE;
	snprintf(stat_path, sizeof(stat_path), "%s/memory.stat", cg);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		die("joining the cgroup");
	close(fd);

	all_refaults = refaults();
	all_majflt = majflt();
	t0 = now_us();
	hotm = map_units(hot, unit);
	pattern_fill(SEED, hotm, 0, hot_pages);
	for (long w = 0; w < warm; w++)
		touch(hotm, hot_pages);

	streamm = calloc(streams, sizeof(*streamm));
	if (!streamm)
		die("calloc");
	for (long s = 0; s < streams; s++) {
		uint8_t *m = map_units(stream, unit);

		streamm[s] = m;
		for (long u = 0; u < stream; u++) {
			pattern_fill(SEED, m + u * unit, hot_pages + s * stream_pages + u * (unit / PAGE),
				     unit / PAGE);
			/* the hot set in use: a pass every EVERY units, and after the stream */
			if ((u + 1) % every && u + 1 < stream)
				continue;
			r0 = refaults();
			m0 = majflt();
			t = now_us();
			touch(hotm, hot_pages);
			hot_ms += (now_us() - t) / 1e3;
			hot_refaults += refaults() - r0;
			hot_majflt += majflt() - m0;
			passes++;
		}
	}
	all_refaults = refaults() - all_refaults;
	all_majflt = majflt() - all_majflt;

	printf("{\"workload\":\"lruseed\",\"event\":\"streams\",\"unit_mib\":%ld,\"hot_units\":%ld,"
	       "\"stream_units\":%ld,\"streams\":%ld,\"hot_passes\":%ld,\"hot_majflt\":%ld,"
	       "\"hot_refaults\":%ld,\"hot_refault_pct\":%.2f,\"hot_pass_ms\":%.1f,"
	       "\"all_majflt\":%ld,\"all_refaults\":%ld,\"seconds\":%.2f}\n",
	       unit_mib, hot, stream, streams, passes, hot_majflt, hot_refaults,
	       100.0 * hot_refaults / (hot_pages * passes), hot_ms, all_majflt,
	       all_refaults, (now_us() - t0) / 1e6);
	fflush(stdout);

	if (corrupt)
		hotm[9] ^= 0x04;
	bad = pattern_check(SEED, hotm, 0, hot_pages, 0);
	for (long s = 0; s < streams; s++)
		bad += pattern_check(SEED, streamm[s], hot_pages + s * stream_pages,
				     stream_pages, bad);
	checked = hot_pages + streams * stream_pages;
	print_verified(checked, bad);
	return bad ? 1 : 0;
}
