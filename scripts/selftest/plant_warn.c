// SPDX-License-Identifier: GPL-2.0
/*
 * plant_warn: a WARN on purpose, for make check-selftest only (never part
 * of the series, never loaded by make check or make stress unless
 * PCOMPACT_PLANT=warn asks for it). The storm (guest/stress.sh) loads it
 * in the middle of a run; the run must then fail on the WARNING: splat in
 * the kernel log, naming this module. Its load succeeds, so nothing but
 * the splat tells the run that something went wrong.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init plant_warn_init(void)
{
	WARN(1, "plant_warn: a WARN planted by make check-selftest\n");
	return 0;
}
module_init(plant_warn_init);

static void __exit plant_warn_exit(void)
{
}
module_exit(plant_warn_exit);

MODULE_DESCRIPTION("a planted WARN for make check-selftest");
MODULE_LICENSE("GPL");
