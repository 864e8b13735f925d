// SPDX-License-Identifier: GPL-2.0
/*
 * thpalloc: fault anonymous huge pages of one size, one at a time, time
 * each fault, and tell from the per-size THP counters whether it got a
 * huge page or fell back to base pages. Every unit is filled with a
 * pattern and checked at the end: a page that changed fails the run.
 *
 * usage: thpalloc -s SIZE_KB (-c COUNT | -U MAX) [-n NODE] [-r FILE]
 *                 [-t SEC] [-C]
 *   -s SIZE_KB  the THP size: 2048, or an mTHP size whose
 *               /sys/kernel/mm/transparent_hugepage/hugepages-SIZE_KBkB/
 *               exists (enable it there first)
 *   -c COUNT    fault COUNT units
 *   -U MAX      fault units until one falls back (at most MAX): takes
 *               the free blocks of that size that are there already
 *   -n NODE     allocate on NODE only (MPOL_BIND)
 *   -r FILE     create FILE once the faults are done
 *   -t SEC      hold SEC seconds before verifying, or until SIGTERM,
 *               SIGINT or SIGUSR1 (default 0)
 *   -C          corrupt one byte before verifying (the run must fail)
 *
 * The region is MADV_HUGEPAGE. A fault counts as a huge page when the
 * size's stats/anon_fault_alloc moved over it, as a fallback when
 * stats/anon_fault_fallback did: the guest must be otherwise quiet.
 *
 * Output: one JSON line with the counts, the share of huge pages
 * ("thp_pct"), the fault latency percentiles (us) of all faults and of
 * the faults that got a huge page ("fault_thp_*": a fallback is quick,
 * and a kernel that gives up sooner must not look faster), the zeroing
 * floor
 * ("zero_p50_us": the median time to memset one unit of memory that is
 * already faulted, what a fault of that size costs at least in this
 * guest), then one for the verification. Exit status: 0 if
 * every page kept its pattern, 1 if any changed, 2 on a setup error.
 */
#include <sys/mman.h>
#include "workload.h"

#define SEED		0xD6E8FEB86659FD93ULL
#define ZERO_REPS	15

static long stat_read(long size_kb, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/transparent_hugepage/hugepages-%ldkB/stats/%s",
		 size_kb, name);
	return read_long(path);
}

/* Median time (us) to memset @size bytes at @mem, already faulted */
static double zero_floor(uint8_t *mem, size_t size)
{
	double t[ZERO_REPS];

	for (int r = 0; r < ZERO_REPS; r++) {
		double t0 = now_us();

		memset(mem, r, size);
		/* keep the compiler from dropping the memset */
		__asm__ __volatile__("" : : "r"(mem) : "memory");
		t[r] = now_us() - t0;
	}
	qsort(t, ZERO_REPS, sizeof(t[0]), cmp_double);
	return t[ZERO_REPS / 2];
}

int main(int argc, char **argv)
{
	long size_kb = 0, count = 0, until = 0, hold_sec = 0, units, u;
	long thp = 0, fallback = 0, other = 0, node = -1;
	unsigned long bad = 0, upages;
	const char *ready = NULL;
	int corrupt = 0, opt;
	double *lat, *lat_thp, zero_us = 0;
	uint8_t *mem, *scratch;
	size_t size;
	sigset_t set;

	workload_name = "thpalloc";
	while ((opt = getopt(argc, argv, "+s:c:U:n:r:t:C")) != -1) {
		switch (opt) {
		case 's': size_kb = atol(optarg); break;
		case 'c': count = atol(optarg); break;
		case 'U': until = atol(optarg); break;
		case 'n': node = atol(optarg); break;
		case 'r': ready = optarg; break;
		case 't': hold_sec = atol(optarg); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of thpalloc.c\n");
			return 2;
		}
	}
	if (size_kb < 8 || (size_kb & (size_kb - 1)) || (count > 0) == (until > 0)) {
		fprintf(stderr, "thpalloc: give -s SIZE_KB (a power of two) and one of -c COUNT, -U MAX\n");
		return 2;
	}
	units = count ? count : until;
	size = size_kb * 1024;
	upages = size / PAGE;

	block_end_signals(&set);
	bind_node(node);
	mem = mmap(NULL, (units + 1) * size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	mem = (uint8_t *)(((uintptr_t)mem + size - 1) & ~(uintptr_t)(size - 1));
	if (madvise(mem, units * size, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	lat = calloc(units, sizeof(*lat));
	lat_thp = calloc(units, sizeof(*lat_thp));
	if (!lat || !lat_thp)
		die("calloc");

	for (u = 0; u < units; u++) {
		long a0 = stat_read(size_kb, "anon_fault_alloc");
		long f0 = stat_read(size_kb, "anon_fault_fallback");
		double t0 = now_us();
		long da, df;

		mem[u * size] = 1;	/* the fault */
		lat[u] = now_us() - t0;
		da = stat_read(size_kb, "anon_fault_alloc") - a0;
		df = stat_read(size_kb, "anon_fault_fallback") - f0;
		if (da == 1 && df == 0)
			lat_thp[thp++] = lat[u];
		else if (df >= 1)
			fallback++;
		else
			other++;	/* neither moved: the guest was not quiet */
		pattern_fill(SEED, mem + u * size, u * upages, upages);
		if (until && df >= 1) {
			u++;
			break;
		}
	}
	units = u;

	/* The floor: zeroing one unit of memory that is already there. */
	scratch = malloc(size);
	if (!scratch)
		die("malloc");
	memset(scratch, 0, size);
	zero_us = zero_floor(scratch, size);
	free(scratch);

	printf("{\"workload\":\"thpalloc\",\"event\":\"faulted\",\"size_kb\":%ld,"
	       "\"node\":%ld,\"faults\":%ld,\"thp\":%ld,\"fallback\":%ld,\"unclear\":%ld,"
	       "\"thp_pct\":%.1f,",
	       size_kb, node, units, thp, fallback, other, units ? 100.0 * thp / units : 0);
	print_percentiles("fault", lat, units);
	printf(",");
	print_percentiles("fault_thp", lat_thp, thp);
	printf(",\"zero_p50_us\":%.1f}\n", zero_us);
	fflush(stdout);

	touch_ready(ready);
	if (hold_sec > 0)
		hold(&set, hold_sec);
	if (corrupt && units)
		mem[77] ^= 0x10;

	for (u = 0; u < units; u++)
		bad += pattern_check(SEED, mem + u * size, u * upages, upages, bad);
	print_verified(units * upages, bad);
	return bad ? 1 : 0;
}
