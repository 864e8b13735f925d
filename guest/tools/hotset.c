// SPDX-License-Identifier: GPL-2.0
/*
 * hotset: a hot anonymous working set, touched round after round while
 * proactive compaction runs. Every round reads and rewrites one word of
 * every page (the value stays the same), and is timed; after every round
 * the pages' physical frame numbers are read from /proc/self/pagemap, so
 * a page that compaction migrated shows up as a PFN change. At the end
 * every page is checked against its pattern: a changed page fails.
 *
 * usage: hotset -m MIB (-t SEC | -R ROUNDS) [-s SPREAD] [-n NODE] [-r FILE]
 *              [-C]
 *   -m MIB     size of the hot set (base pages, MADV_NOHUGEPAGE)
 *   -s SPREAD  fill SPREAD times as much and keep one page in SPREAD
 *              (default 1): the hot set spreads over physical memory as
 *              a fragmenter's held pages do, instead of sitting wherever
 *              the allocator had free pages last
 *   -t SEC     touch it for SEC seconds, or until SIGTERM/SIGINT/SIGUSR1
 *   -R ROUNDS  or for ROUNDS rounds
 *   -n NODE    allocate on NODE only (MPOL_BIND)
 *   -r FILE    create FILE once the hot set is in place and its PFNs
 *              are known (start compaction then)
 *   -C         corrupt one byte before verifying (the run must fail)
 *
 * PFNs need root (CAP_SYS_ADMIN); without it pagemap gives 0 and the run
 * stops with an error rather than report no migrations.
 *
 * Output: one JSON line with the rounds, the round latency percentiles
 * (us), the pages that moved at least once ("migrated_pages"), all PFN
 * changes seen ("pfn_changes"), then one for the verification. Exit
 * status: 0 if every page kept its pattern, 1 if any changed, 2 on a
 * setup error.
 */
#include <sys/mman.h>
#include "workload.h"

#define SEED		0xC2B2AE3D27D4EB4FULL
#define PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)

static long spread = 1;
static uint64_t *pm;	/* pagemap entries of the whole region */

/* The PFNs of the @npages hot pages (every spread-th page at @mem) */
static void read_pfns(int fd, const uint8_t *mem, unsigned long npages, uint64_t *pfn)
{
	off_t off = (uintptr_t)mem / PAGE * 8;
	size_t want = npages * spread * 8, got = 0;

	while (got < want) {
		ssize_t n = pread(fd, (char *)pm + got, want - got, off + got);

		if (n <= 0)
			die("reading /proc/self/pagemap");
		got += n;
	}
	for (unsigned long p = 0; p < npages; p++) {
		uint64_t e = pm[p * spread];

		/*
		 * A page compaction is migrating right now has a migration
		 * entry, not a present PTE: read it (which waits for the
		 * migration to end) and ask again, so that a move in
		 * progress counts once, with its new PFN, not as a page
		 * without a frame.
		 */
		for (int try = 0; !(e & PM_PRESENT) && try < 100; try++) {
			off_t at = off + (off_t)p * spread * 8;

			(void)*(volatile const uint8_t *)(mem + p * spread * PAGE);
			if (try)
				usleep(1000);
			if (pread(fd, &e, 8, at) != 8)
				die("reading /proc/self/pagemap");
		}
		pfn[p] = (e & PM_PRESENT) ? (e & PFN_MASK) : 0;
	}
}

static inline uint8_t *hot_page(uint8_t *mem, unsigned long p)
{
	return mem + p * spread * PAGE;
}

int main(int argc, char **argv)
{
	long mib = 0, sec = -1, max_rounds = 0, node = -1, rounds = 0, cap = 4096;
	unsigned long npages, moved = 0, changes = 0, bad = 0;
	uint64_t *pfn0, *pfn_prev, *pfn;
	const char *ready = NULL;
	int corrupt = 0, opt, fd;
	double *lat, t_end;
	uint8_t *mem, *ever;
	sigset_t set;

	workload_name = "hotset";
	while ((opt = getopt(argc, argv, "+m:t:R:s:n:r:C")) != -1) {
		switch (opt) {
		case 'm': mib = atol(optarg); break;
		case 's': spread = atol(optarg); break;
		case 't': sec = atol(optarg); break;
		case 'R': max_rounds = atol(optarg); break;
		case 'n': node = atol(optarg); break;
		case 'r': ready = optarg; break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of hotset.c\n");
			return 2;
		}
	}
	if (mib < 1 || (sec < 0) == (max_rounds < 1) || spread < 1 || spread > 64) {
		fprintf(stderr, "hotset: give -m MIB and one of -t SEC, -R ROUNDS; -s 1 to 64\n");
		return 2;
	}
	npages = mib * (1UL << 20) / PAGE;
	block_end_signals(&set);
	bind_node(node);

	mem = mmap(NULL, npages * spread * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	if (madvise(mem, npages * spread * PAGE, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	/* fill it all, then keep page 0 of every spread */
	pattern_fill(SEED, mem, 0, npages * spread);
	for (unsigned long p = 0; spread > 1 && p < npages; p++)
		if (madvise(hot_page(mem, p) + PAGE, (spread - 1) * PAGE, MADV_DONTNEED))
			die("madvise(MADV_DONTNEED)");

	pfn0 = calloc(npages, sizeof(*pfn0));
	pfn_prev = calloc(npages, sizeof(*pfn_prev));
	pfn = calloc(npages, sizeof(*pfn));
	ever = calloc(npages, 1);
	pm = calloc(npages * spread, sizeof(*pm));
	lat = calloc(cap, sizeof(*lat));
	if (!pfn0 || !pfn_prev || !pfn || !ever || !lat || !pm)
		die("calloc");
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		die("opening /proc/self/pagemap");
	read_pfns(fd, mem, npages, pfn0);
	for (unsigned long p = 0; p < npages; p++) {
		if (!pfn0[p]) {
			errno = 0;
			die("pagemap shows no PFN (not root, or a page is not present)");
		}
	}
	memcpy(pfn_prev, pfn0, npages * sizeof(*pfn0));
	touch_ready(ready);

	t_end = now_us() + sec * 1e6;
	while (max_rounds ? rounds < max_rounds : now_us() < t_end) {
		double t0 = now_us();

		for (unsigned long p = 0; p < npages; p++) {
			volatile uint64_t *w = (volatile uint64_t *)(hot_page(mem, p) + (p % 8) * 8);

			*w = *w;
		}
		if (rounds == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				die("realloc");
		}
		lat[rounds++] = now_us() - t0;

		read_pfns(fd, mem, npages, pfn);
		for (unsigned long p = 0; p < npages; p++) {
			if (pfn[p] == pfn_prev[p])
				continue;
			changes++;
			if (!ever[p]) {
				ever[p] = 1;
				moved++;
			}
			pfn_prev[p] = pfn[p];
		}
		if (end_signalled(&set))
			break;
	}

	printf("{\"workload\":\"hotset\",\"event\":\"touched\",\"mib\":%ld,\"spread\":%ld,\"pages\":%lu,"
	       "\"rounds\":%ld,\"migrated_pages\":%lu,\"migrated_pct\":%.2f,\"pfn_changes\":%lu,",
	       mib, spread, npages, rounds, moved, 100.0 * moved / npages, changes);
	print_percentiles("round", lat, rounds);
	printf("}\n");
	fflush(stdout);

	if (corrupt)
		mem[4095] ^= 0x80;
	for (unsigned long p = 0; p < npages; p++)
		bad += pattern_check(SEED, hot_page(mem, p), p * spread, 1, bad);
	print_verified(npages, bad);
	return bad ? 1 : 0;
}
