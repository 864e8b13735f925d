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
 * Output: one JSON line with the counts and the fault latency
 * percentiles (us), then one for the verification. Exit status: 0 if
 * every page kept its pattern, 1 if any changed, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define MPOL_BIND_	2

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return (page * 0xD6E8FEB86659FD93ULL) ^ (word << 40) ^ 0xA5A5A5A5ULL;
}

static void die(const char *msg)
{
	fprintf(stderr, "thpalloc: %s: %s\n", msg, strerror(errno));
	printf("{\"workload\":\"thpalloc\",\"event\":\"error\",\"error\":\"%s\"}\n", msg);
	exit(2);
}

static long stat_read(long size_kb, const char *name)
{
	char path[160], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/transparent_hugepage/hugepages-%ldkB/stats/%s",
		 size_kb, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("opening the per-size THP stats");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("reading the per-size THP stats");
	buf[n] = 0;
	return atol(buf);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, long n, double p)
{
	long i;

	if (!n)
		return 0;
	i = (long)(p / 100.0 * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

int main(int argc, char **argv)
{
	long size_kb = 0, count = 0, until = 0, hold_sec = 0, units, u;
	long thp = 0, fallback = 0, other = 0, bad = 0, node = -1;
	const char *ready = NULL;
	int corrupt = 0, opt;
	double *lat, *sorted;
	size_t size;
	uint8_t *mem;
	sigset_t set;

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

	/* Signals end the hold; block them so sigtimedwait() takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (node >= 0) {
		unsigned long mask = 1UL << node;

		if (syscall(SYS_set_mempolicy, MPOL_BIND_, &mask, sizeof(mask) * 8 + 1))
			die("set_mempolicy(MPOL_BIND)");
	}
	mem = mmap(NULL, (units + 1) * size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	mem = (uint8_t *)(((uintptr_t)mem + size - 1) & ~(uintptr_t)(size - 1));
	if (madvise(mem, units * size, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	lat = calloc(units, sizeof(*lat));
	sorted = calloc(units, sizeof(*sorted));
	if (!lat || !sorted)
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
			thp++;
		else if (df >= 1)
			fallback++;
		else
			other++;	/* neither moved: the guest was not quiet */
		for (unsigned long p = 0; p < size / PAGE; p++) {
			uint64_t *w = (uint64_t *)(mem + u * size + p * PAGE);
			unsigned long page = u * (size / PAGE) + p;

			for (unsigned long i = 0; i < PAGE / 8; i++)
				w[i] = pattern(page, i);
		}
		if (until && df >= 1) {
			u++;
			break;
		}
	}
	units = u;
	memcpy(sorted, lat, units * sizeof(*lat));
	qsort(sorted, units, sizeof(*sorted), cmp);
	printf("{\"workload\":\"thpalloc\",\"event\":\"faulted\",\"size_kb\":%ld,"
	       "\"node\":%ld,\"faults\":%ld,\"thp\":%ld,\"fallback\":%ld,\"unclear\":%ld,"
	       "\"p50_us\":%.1f,\"p95_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}\n",
	       size_kb, node, units, thp, fallback, other, pct(sorted, units, 50),
	       pct(sorted, units, 95), pct(sorted, units, 99), pct(sorted, units, 100));
	fflush(stdout);

	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			die("creating the ready file");
		close(fd);
	}
	if (hold_sec > 0) {
		struct timespec ts = { .tv_sec = hold_sec };

		while (sigtimedwait(&set, NULL, &ts) < 0 && errno == EINTR)
			;
	}
	if (corrupt && units)
		mem[77] ^= 0x10;

	for (u = 0; u < units; u++) {
		for (unsigned long p = 0; p < size / PAGE; p++) {
			unsigned long page = u * (size / PAGE) + p;
			uint64_t *w = (uint64_t *)(mem + page * PAGE);

			for (unsigned long i = 0; i < PAGE / 8; i++) {
				if (w[i] != pattern(page, i)) {
					if (bad < 5)
						fprintf(stderr, "thpalloc: page %lu word %lu: %#llx, expected %#llx\n",
							page, i, (unsigned long long)w[i],
							(unsigned long long)pattern(page, i));
					bad++;
					break;
				}
			}
		}
	}
	printf("{\"workload\":\"thpalloc\",\"event\":\"verified\",\"pages\":%lu,\"corrupt_pages\":%ld}\n",
	       units * (size / PAGE), bad);
	return bad ? 1 : 0;
}
