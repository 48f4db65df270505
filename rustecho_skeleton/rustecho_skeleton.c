// SPDX-License-Identifier: GPL-2.0
/*
 * rustecho_skeleton - the Stage-1 C skeleton of seed 004
 *
 * It only says hello and goodbye, to show that the build, insmod, dmesg
 * and rmmod steps work before any device is written.  The seed calls it
 * rustecho.c, built as rustecho.ko; here it lives next to the real
 * rustecho.ko, so the module is named rustecho_skeleton, but it prints
 * exactly the seed's lines, "rustecho: module loaded" and
 * "rustecho: module unloaded".
 */
#define pr_fmt(fmt) "rustecho: " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init rustecho_skeleton_init(void)
{
	pr_info("module loaded\n");
	return 0;
}

static void __exit rustecho_skeleton_exit(void)
{
	pr_info("module unloaded\n");
}

module_init(rustecho_skeleton_init);
module_exit(rustecho_skeleton_exit);

MODULE_DESCRIPTION("rustecho skeleton - loads and unloads, nothing more");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
