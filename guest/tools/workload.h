/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest's workloads share: the memory pattern they write and
 * check (a changed page fails the run), node binding, the hold that ends
 * on a signal or a timeout, the ready file, clocks and percentiles, and
 * the JSON error line. Each workload is one static program; this header
 * keeps them from drifting apart.
 */
#ifndef PCOMPACT_WORKLOAD_H
#define PCOMPACT_WORKLOAD_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define MPOL_BIND_	2

/* Set by each program before anything can fail. */
static const char *workload_name = "workload";

static void die(const char *msg)
{
	fprintf(stderr, "%s: %s: %s\n", workload_name, msg, errno ? strerror(errno) : "-");
	printf("{\"workload\":\"%s\",\"event\":\"error\",\"error\":\"%s\"}\n",
	       workload_name, msg);
	exit(2);
}

/*
 * The word @word of page @page holds this; @seed tells the programs'
 * patterns apart, so one program's page never passes another's check.
 */
static inline uint64_t pattern(uint64_t seed, uint64_t page, uint64_t word)
{
	return (page * seed) ^ (word << 36) ^ (seed >> 7) ^ 0x5A5A5A5AULL;
}

/* Fill @npages pages at @mem, numbered from @first, with the pattern. */
static inline void pattern_fill(uint64_t seed, uint8_t *mem, unsigned long first,
				unsigned long npages)
{
	for (unsigned long p = 0; p < npages; p++) {
		uint64_t *w = (uint64_t *)(mem + p * PAGE);

		for (unsigned long i = 0; i < PAGE / 8; i++)
			w[i] = pattern(seed, first + p, i);
	}
}

/*
 * Check the pages filled by pattern_fill(); return how many changed and
 * name the first five on stderr. @bad_so_far keeps the count of earlier
 * calls, so a run names five pages in all, not five per call.
 */
static inline unsigned long pattern_check(uint64_t seed, const uint8_t *mem,
					  unsigned long first, unsigned long npages,
					  unsigned long bad_so_far)
{
	unsigned long bad = 0;

	for (unsigned long p = 0; p < npages; p++) {
		const uint64_t *w = (const uint64_t *)(mem + p * PAGE);

		for (unsigned long i = 0; i < PAGE / 8; i++) {
			if (w[i] == pattern(seed, first + p, i))
				continue;
			if (bad_so_far + bad < 5)
				fprintf(stderr, "%s: page %lu word %lu: %#llx, expected %#llx\n",
					workload_name, first + p, i,
					(unsigned long long)w[i],
					(unsigned long long)pattern(seed, first + p, i));
			bad++;
			break;
		}
	}
	return bad;
}

/* The verification line every workload ends with. */
static inline void print_verified(unsigned long pages, unsigned long bad)
{
	printf("{\"workload\":\"%s\",\"event\":\"verified\",\"pages\":%lu,\"corrupt_pages\":%lu}\n",
	       workload_name, pages, bad);
	fflush(stdout);
}

/* The number a small file such as a sysfs counter holds; dies naming it */
static inline long read_long(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die(path);
	buf[n] = 0;
	return atol(buf);
}

static inline void bind_node(int node)
{
	unsigned long mask = 1UL << node;

	if (node >= 0 && syscall(SYS_set_mempolicy, MPOL_BIND_, &mask, sizeof(mask) * 8 + 1))
		die("set_mempolicy(MPOL_BIND)");
}

/* SIGTERM, SIGINT and SIGUSR1 end a hold: block them for sigtimedwait(). */
static inline void block_end_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigprocmask(SIG_BLOCK, set, NULL);
}

/* Wait @sec seconds or for an end signal; @sec < 0 waits for the signal. */
static inline void hold(const sigset_t *set, long sec)
{
	if (sec < 0) {
		int sig;

		sigwait(set, &sig);
		return;
	}
	struct timespec ts = { .tv_sec = sec };

	while (sigtimedwait(set, NULL, &ts) < 0 && errno == EINTR)
		;
}

/* Has an end signal arrived? (does not wait) */
static inline int end_signalled(const sigset_t *set)
{
	struct timespec ts = { 0 };

	return sigtimedwait(set, NULL, &ts) > 0;
}

static inline void touch_ready(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("creating the ready file");
	close(fd);
}

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @p-th percentile (nearest rank) of @n sorted values. */
static inline double pct(const double *sorted, long n, double p)
{
	long i;

	if (!n)
		return 0;
	i = (long)(p / 100.0 * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return sorted[i];
}

/*
 * Sort a copy of @v and print it as "<prefix>_p50_us":...,... p95, p99,
 * max; with nothing to sort, each is null (not measured, not 0)
 */
static inline void print_percentiles(const char *prefix, const double *v, long n)
{
	double *s;

	if (!n) {
		printf("\"%s_p50_us\":null,\"%s_p95_us\":null,\"%s_p99_us\":null,\"%s_max_us\":null",
		       prefix, prefix, prefix, prefix);
		return;
	}
	s = calloc(n, sizeof(*s));
	if (!s)
		die("calloc");
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	printf("\"%s_p50_us\":%.1f,\"%s_p95_us\":%.1f,\"%s_p99_us\":%.1f,\"%s_max_us\":%.1f",
	       prefix, pct(s, n, 50), prefix, pct(s, n, 95), prefix, pct(s, n, 99),
	       prefix, pct(s, n, 100));
	free(s);
}

/* The first number after @key in the file @path, or -1 */
static inline long file_field(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen)) {
			v = atol(line + klen);
			break;
		}
	}
	fclose(f);
	return v;
}

#endif /* PCOMPACT_WORKLOAD_H */
