/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultinj.h - systematic fault injection for in-guest tests.
 *
 * The kernel's fail-nth (Documentation/fault-injection/fault-injection.rst)
 * makes the Nth fault site the calling thread reaches fail: every
 * allocation failslab and fail_page_alloc see and every user copy
 * fail_usercopy sees.  A sweep runs one operation with N = 1, 2, 3, ...
 * until the operation completes without reaching its Nth site: then every
 * site on that operation's path has failed once, in order.
 *
 * Only the thread that arms fail-nth is affected: the rest of the guest
 * (and the checks this program makes between injections) runs normally.
 * The capabilities print a stack for every injected failure (verbose=2);
 * fi_collect() reads those from /dev/kmsg to name the site that failed,
 * and notices any other kernel report in the same stretch of log.
 */
#ifndef TESTS_FAULTINJ_H
#define TESTS_FAULTINJ_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define FI_DEBUGFS	"/sys/kernel/debug"
#define FI_MAX_SITES	512
#define FI_SITE_LEN	256
#define FI_FRAME_LEN	160

static int fi_nth_fd = -1;		/* this thread's fail-nth */
static int fi_kmsg_fd = -1;		/* /dev/kmsg, read as we go */

/* distinct sites, over the whole run: "capability: frame" */
static char fi_sites[FI_MAX_SITES][FI_SITE_LEN];
static int fi_nsites;
static int fi_sites_overflow;

/* of the last fi_collect(): what failed, and kernel reports seen */
static char fi_last_site[FI_SITE_LEN];
static char fi_last_report[256];

static int fi_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Configure the three capabilities for fail-nth and open this thread's
 * fail-nth file.  Returns 0, or -errno when the kernel has no fault
 * injection (a kernel without CONFIG_FAULT_INJECTION_DEBUG_FS).
 */
static int fi_setup(void)
{
	static const char *const caps[] = {
		"failslab", "fail_page_alloc", "fail_usercopy"
	};
	char path[256];
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		/*
		 * probability 0: nothing fails except through fail-nth;
		 * verbose 2: a "FAULT_INJECTION" line and a stack for each
		 */
		snprintf(path, sizeof(path), FI_DEBUGFS "/%s/probability",
			 caps[i]);
		ret = fi_write_file(path, "0");
		if (ret)
			return ret;
		snprintf(path, sizeof(path), FI_DEBUGFS "/%s/verbose", caps[i]);
		ret = fi_write_file(path, "2");
		if (ret)
			return ret;
	}
	/*
	 * By default both allocators only fail allocations that cannot
	 * sleep; ours (GFP_KERNEL) can.  User pages (__GFP_HIGHMEM) stay
	 * out: failing a page fault would kill the program, not test us.
	 * Single pages count too (min-order 0).
	 */
	ret = fi_write_file(FI_DEBUGFS "/failslab/ignore-gfp-wait", "N");
	ret = ret ?: fi_write_file(FI_DEBUGFS "/fail_page_alloc/ignore-gfp-wait",
				   "N");
	ret = ret ?: fi_write_file(FI_DEBUGFS "/fail_page_alloc/ignore-gfp-highmem",
				   "Y");
	ret = ret ?: fi_write_file(FI_DEBUGFS "/fail_page_alloc/min-order", "0");
	if (ret)
		return ret;

	fi_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fi_nth_fd < 0)
		return -errno;
	fi_kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fi_kmsg_fd < 0)
		return -errno;
	lseek(fi_kmsg_fd, 0, SEEK_END);
	return 0;
}

/* Make the Nth fault site this thread reaches from now on fail. */
static void fi_arm(unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	if (pwrite(fi_nth_fd, buf, len, 0) != len)
		bail_out("cannot arm fail-nth: %s", strerror(errno));
}

/*
 * Disarm; returns whether the armed failure was injected.  Call it right
 * after the operation: anything in between would count sites too.  The
 * read and write of fail-nth have a user copy of their own: if the count
 * was down to 1, that copy takes the failure (the read then fails with
 * EFAULT, having seen a positive count); either way the operation itself
 * did not reach its Nth site, and the count ends at 0.
 */
static bool fi_disarm(void)
{
	char buf[16];
	ssize_t n = pread(fi_nth_fd, buf, sizeof(buf) - 1, 0);
	bool fired;

	if (n > 0) {
		buf[n] = '\0';
		fired = strtoul(buf, NULL, 10) == 0;
	} else {
		fired = false;
	}
	if (pwrite(fi_nth_fd, "0", 1, 0) != 1 && errno != EFAULT)
		bail_out("cannot disarm fail-nth: %s", strerror(errno));
	return fired;
}

static bool fi_is_machinery(const char *fn)
{
	/*
	 * Frames of the fault injection itself and of the allocators and
	 * copy routines whose callers are the sites we mean.
	 */
	static const char *const prefixes[] = {
		"dump_stack", "should_fail", "__should_fail", "fail_dump",
		"prepare_alloc_pages", "__alloc_pages", "alloc_pages",
		"__alloc_frozen", "alloc_slab_page", "allocate_slab",
		"new_slab", "___slab_alloc", "__slab_alloc", "slab_alloc",
		"slab_pre_alloc_hook", "kmalloc", "__kmalloc", "kmem_cache_alloc",
		"__kvmalloc", "kvmalloc", "kzalloc", "kvzalloc", "kcalloc",
		"krealloc", "__vmalloc", "vmalloc", "vzalloc", "__get_vm_area",
		"alloc_vmap_area", "get_vm_area", "__alloc_pages_bulk",
		"alloc_pages_bulk", "vm_area_alloc", "_copy_to_user",
		"_copy_from_user", "copy_to_user", "copy_from_user",
		"_copy_to_iter", "_copy_from_iter", "copy_page_to_iter",
		"copy_page_from_iter", "iterate_", "__copy_", "strndup_user",
		"memdup_user", "kstrdup", "kmemdup", "__kmemdup", "folio_alloc",
		"__folio_alloc", "alloc_pages_mpol", "__get_free_pages",
		"get_zeroed_page", "kasan", "__kasan", "kmemleak", "__kmemleak",
		"stack_depot", "__stack_depot", "memcg", "__memcg",
		"obj_cgroup", "strncpy_from_user", "get_user", "put_user",
	};
	unsigned int i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(fn, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static void fi_add_site(const char *site)
{
	int i;

	for (i = 0; i < fi_nsites; i++)
		if (!strcmp(fi_sites[i], site))
			return;
	if (fi_nsites < FI_MAX_SITES)
		snprintf(fi_sites[fi_nsites++], FI_SITE_LEN, "%s", site);
	else
		fi_sites_overflow = 1;
}

/* Does a log line report a kernel problem (tests/vm/run-all's list)? */
static bool fi_is_report(const char *t)
{
	static const char *const needles[] = {
		"BUG:", "WARNING:", "Oops", "general protection", "KASAN",
		"UBSAN", "possible recursive", "possible circular",
		"refcount_t:", "list_add corruption", "list_del corruption",
		"suspected memory leak", "Kmemleak disabled",
		"memory leak detector disabled",
	};
	unsigned int i;

	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (strstr(t, needles[i]))
			return true;
	return false;
}

/*
 * Read the kernel log written since the last call.  For each injected
 * failure, the site is the first stack frame in a module ("[name]") if
 * there is one, else the first frame that is not allocator or copy
 * machinery; it is recorded as "capability: function+offset [module]".
 * fi_last_site holds the last one, fi_last_report the first line that
 * looks like a kernel report (empty if none).  A "Call Trace:" counts as
 * a report unless it belongs to an injected failure's stack dump or an
 * allocation failure warning (which an injected failure may cause).
 * Returns the number of injected failures seen (not counting those our
 * own disarming took).
 */
static int fi_collect(void)
{
	char rec[8192], cap[32] = "", first[FI_FRAME_LEN] = "";
	char modframe[FI_FRAME_LEN] = "";
	int injected = 0, excused = 0, in_dump = 0;

	fi_last_site[0] = '\0';
	fi_last_report[0] = '\0';
	for (;;) {
		ssize_t n = read(fi_kmsg_fd, rec, sizeof(rec) - 1);
		char *t, *end, *p;

		if (n < 0 && errno == EPIPE) {
			/* records were overwritten before we read them */
			snprintf(fi_last_report, sizeof(fi_last_report),
				 "kernel log records lost (log buffer too small)");
			continue;
		}
		if (n <= 0)
			break;
		rec[n] = '\0';
		t = strchr(rec, ';');
		if (!t)
			continue;
		t++;
		end = strchr(t, '\n');
		if (end)
			*end = '\0';

		if (strstr(t, "FAULT_INJECTION: forcing a failure")) {
			excused++;
			in_dump = 1;
			cap[0] = first[0] = modframe[0] = '\0';
			/*
			 * "name failslab, interval ..." is in the same record,
			 * after an escaped newline
			 */
			p = strstr(t, "name ");
			if (p && sscanf(p, "name %31[^,]", cap) != 1)
				cap[0] = '\0';
			continue;
		}
		if (in_dump && !cap[0] && sscanf(t, "name %31[^,]", cap) == 1)
			continue;
		if (strstr(t, "page allocation failure:") ||
		    strstr(t, "vmalloc error:")) {
			excused++;
			continue;
		}
		if (strstr(t, "Call Trace:")) {
			if (excused > 0)
				excused--;
			else if (!fi_last_report[0])
				snprintf(fi_last_report, sizeof(fi_last_report),
					 "%s", t);
			continue;
		}
		if (in_dump && t[0] == ' ' && t[1] != '<' && t[1] != '?') {
			char fn[128];

			if (sscanf(t + 1, "%127[^+ ]", fn) == 1 &&
			    !strstr(fn, "proc_fail_nth")) {
				if (!first[0] && !fi_is_machinery(fn))
					snprintf(first, sizeof(first), "%s", t + 1);
				if (!modframe[0] && strchr(t, '['))
					snprintf(modframe, sizeof(modframe), "%s",
						 t + 1);
			} else if (strstr(fn, "proc_fail_nth")) {
				in_dump = 2;	/* our own disarm: not a site */
			}
			continue;
		}
		if (in_dump && !strcmp(t, " </TASK>")) {
			const char *f = modframe[0] ? modframe : first;
			char site[FI_SITE_LEN];
			char *slash;

			if (in_dump == 1)
				injected++;
			if (in_dump == 1 && f[0]) {
				/* "fn+0x1a/0x90 [mod]" -> "fn+0x1a [mod]" */
				snprintf(site, sizeof(site), "%s: %s",
					 cap[0] ? cap : "?", f);
				slash = strchr(site, '/');
				if (slash) {
					char *mod = strchr(slash, ' ');

					memmove(slash, mod ? mod : "",
						mod ? strlen(mod) + 1 : 1);
				}
				snprintf(fi_last_site, sizeof(fi_last_site),
					 "%s", site);
				fi_add_site(fi_last_site);
			}
			in_dump = 0;
			continue;
		}
		if (fi_is_report(t) && !fi_last_report[0])
			snprintf(fi_last_report, sizeof(fi_last_report), "%s", t);
	}
	return injected;
}

/* How many distinct sites are in a module ("[name]")? */
static int fi_count_sites(const char *module, bool in_module)
{
	char tag[64];
	int i, n = 0;

	snprintf(tag, sizeof(tag), "[%s]", module);
	for (i = 0; i < fi_nsites; i++)
		if (!!strstr(fi_sites[i], tag) == in_module)
			n++;
	return n;
}

#endif /* TESTS_FAULTINJ_H */
