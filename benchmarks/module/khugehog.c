// SPDX-License-Identifier: GPL-2.0
/*
 * khugehog: time huge page allocations in the kernel, as the 2020
 * proactive compaction figures did. A benchmark tool, built against the
 * guest kernel by benchmarks/run.sh; never part of the series.
 *
 * On load, allocates @count pages of @order with
 * alloc_pages(GFP_TRANSHUGE | __GFP_NOWARN), the flags of a THP fault
 * that may compact, timing each call with ktime_get_ns(). Every page it
 * gets is filled with a pattern and held; on unload each is checked and
 * freed. Results are printed as one JSON line a phase, prefixed
 * "khugehog: ", so the guest can take them from the kernel log.
 *
 *   insmod khugehog.ko count=250 [order=9] [corrupt=1]
 *   rmmod khugehog        # verifies and frees
 */
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>

static unsigned int count = 250;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "allocations to make (1..4096)");
static unsigned int order = HPAGE_PMD_ORDER;
module_param(order, uint, 0444);
MODULE_PARM_DESC(order, "order of each allocation (default: PMD order)");
static bool corrupt;
module_param(corrupt, bool, 0444);
MODULE_PARM_DESC(corrupt, "flip a byte before verifying (the run must fail)");

static struct page **pages;
static u64 *lat_ns;
static unsigned int served;

static u64 pattern(unsigned long pfn, unsigned int word)
{
	return (pfn * 0xA24BAED4963EE407ULL) ^ ((u64)word << 33) ^ 0x3C3C3C3CULL;
}

static void fill(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	u64 *w = page_address(page);
	unsigned int i, n = (PAGE_SIZE << order) / sizeof(u64);

	for (i = 0; i < n; i++)
		w[i] = pattern(pfn + i / (PAGE_SIZE / sizeof(u64)), i % (PAGE_SIZE / sizeof(u64)));
}

/* Pages of @page that changed */
static unsigned int check(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	u64 *w = page_address(page);
	unsigned int i, bad = 0, per = PAGE_SIZE / sizeof(u64);

	for (i = 0; i < (PAGE_SIZE << order) / sizeof(u64); i++) {
		if (w[i] != pattern(pfn + i / per, i % per)) {
			bad++;
			i = (i / per + 1) * per - 1;	/* next page */
		}
	}
	return bad;
}

/* nanoseconds printed as microseconds with one decimal */
#define US_ARGS(ns)	(ns) / 1000, (ns) % 1000 / 100

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

static u64 pct(const u64 *v, unsigned int n, unsigned int p)
{
	unsigned int i;

	if (!n)
		return 0;
	i = DIV_ROUND_UP(p * n, 100);
	return v[clamp(i, 1U, n) - 1];
}


/* Sort @n latencies of @src into @dst; print them as PREFIX_p50_us.. */
static void print_pcts(const char *prefix, u64 *dst, const u64 *src, unsigned int n)
{
	if (!n) {	/* not measured: null, not 0 */
		pr_cont(",\"%s_p50_us\":null,\"%s_p95_us\":null,\"%s_p99_us\":null,\"%s_max_us\":null",
			prefix, prefix, prefix, prefix);
		return;
	}
	memcpy(dst, src, n * sizeof(*dst));
	sort(dst, n, sizeof(*dst), cmp_u64, NULL);
	pr_cont(",\"%s_p50_us\":%llu.%llu,\"%s_p95_us\":%llu.%llu,\"%s_p99_us\":%llu.%llu,\"%s_max_us\":%llu.%llu",
		prefix, US_ARGS(pct(dst, n, 50)), prefix, US_ARGS(pct(dst, n, 95)),
		prefix, US_ARGS(pct(dst, n, 99)), prefix, US_ARGS(pct(dst, n, 100)));
}

static int __init khugehog_init(void)
{
	unsigned int i, nserved = 0;
	u64 *sorted, *served_ns;

	if (!count || count > 4096 || order > MAX_PAGE_ORDER)
		return -EINVAL;
	pages = kcalloc(count, sizeof(*pages), GFP_KERNEL);
	lat_ns = kcalloc(count, sizeof(*lat_ns), GFP_KERNEL);
	sorted = kcalloc(count, sizeof(*sorted), GFP_KERNEL);
	served_ns = kcalloc(count, sizeof(*served_ns), GFP_KERNEL);
	if (!pages || !lat_ns || !sorted || !served_ns) {
		kfree(pages);
		kfree(lat_ns);
		kfree(sorted);
		kfree(served_ns);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		u64 t0 = ktime_get_ns();

		pages[i] = alloc_pages(GFP_TRANSHUGE | __GFP_NOWARN, order);
		lat_ns[i] = ktime_get_ns() - t0;
		if (pages[i]) {
			fill(pages[i]);
			served_ns[nserved++] = lat_ns[i];
		}
		cond_resched();
	}
	served = nserved;
	/*
	 * One line: all allocations, then the served ones only (a failure
	 * can be quick, and a kernel that gives up sooner must not look
	 * faster). pr_cont() keeps it one line in the log.
	 */
	pr_info("khugehog: {\"workload\":\"khugehog\",\"event\":\"allocated\",\"order\":%u,\"allocs\":%u,\"served\":%u,\"served_pct\":%u.%u",
		order, count, served, served * 100 / count, served * 1000 / count % 10);
	print_pcts("alloc", sorted, lat_ns, count);
	print_pcts("alloc_served", sorted, served_ns, served);
	pr_cont("}\n");
	kfree(served_ns);
	kfree(sorted);
	return 0;
}

static void __exit khugehog_exit(void)
{
	unsigned int i, bad = 0;

	if (corrupt && !served)
		pr_info("khugehog: {\"workload\":\"khugehog\",\"event\":\"error\",\"error\":\"corrupt=1, but no page was allocated to corrupt\"}\n");
	if (corrupt && served) {
		for (i = 0; i < count && !pages[i]; i++)
			;
		((u8 *)page_address(pages[i]))[5] ^= 0x20;
	}
	for (i = 0; i < count; i++) {
		if (!pages[i])
			continue;
		bad += check(pages[i]);
		__free_pages(pages[i], order);
	}
	pr_info("khugehog: {\"workload\":\"khugehog\",\"event\":\"verified\",\"pages\":%lu,\"corrupt_pages\":%u}\n",
		(unsigned long)served << order, bad);
	kfree(pages);
	kfree(lat_ns);
}

module_init(khugehog_init);
module_exit(khugehog_exit);
MODULE_DESCRIPTION("Time huge page allocations (pcompact benchmark tool)");
MODULE_LICENSE("GPL");
