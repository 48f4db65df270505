// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue's load (issue 13 finding 5): a device file opened while the
 * module loads must not outlive a load that then fails.  The module's
 * init registers what user space can open last; with several queues it
 * registers them one by one, and refuses opens (ENODEV) until the last
 * one is in, so a later failure has no open file to strand.
 *
 * Every kernel: a thread opens /dev/rustqueue0 in a loop while
 * instances=64 loads; each open fails (ENOENT: no node yet; ENODEV: the
 * load is not complete) or gives a working file.
 *
 * Kernels with fault injection (the debug kernel): the same, with the
 * load made to fail at fault sites spread over all of its own (the
 * failing step being one of the registrations or what follows them):
 * no open may succeed during a load that fails, and the kernel must
 * report nothing.  Before the fix such an open succeeded, and its file
 * then pointed into the freed module.
 */
#include <pthread.h>

#include "rqtest.h"
#include "faultinj.h"

#define MOD "rustqueue"
#define PARAMS "instances=64 verbose=0"
#define DEV0 "/dev/rustqueue0"

struct opener {
	pthread_t thread;
	volatile int stop;
	int fds[64];		/* files it opened */
	int nfds;
	int bad_errno;		/* an open failed other than ENOENT/ENODEV */
	int tries, enoent, enodev;
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;

	while (!o->stop) {
		int fd = open(DEV0, O_RDWR);

		o->tries++;
		if (fd >= 0) {
			if (o->nfds < 64)
				o->fds[o->nfds++] = fd;
			else
				close(fd);
		} else if (errno == ENOENT) {
			o->enoent++;
		} else if (errno == ENODEV) {
			o->enodev++;
		} else {
			o->bad_errno = errno;
		}
	}
	return NULL;
}

static void start_opener(struct opener *o)
{
	memset(o, 0, sizeof(*o));
	pthread_create(&o->thread, NULL, opener_main, o);
}

static void stop_opener(struct opener *o)
{
	o->stop = 1;
	pthread_join(o->thread, NULL);
}

static void close_all(struct opener *o)
{
	while (o->nfds)
		close(o->fds[--o->nfds]);
}

/* Every file the opener got works: a message goes through each. */
static bool all_work(struct opener *o)
{
	char buf[8];
	int i;

	for (i = 0; i < o->nfds; i++)
		if (write(o->fds[i], "ok", 2) != 2 ||
		    read(o->fds[i], buf, sizeof(buf)) != 2)
			return false;
	return true;
}

static void test_open_during_load(void)
{
	struct opener o;
	int ret;

	mod_ensure_unloaded(MOD);
	start_opener(&o);
	ret = mod_load(MOD, PARAMS);
	stop_opener(&o);
	is_int(ret, 0, "insmod " PARAMS " with a thread opening " DEV0 " throughout");
	diag("%d opens: %d ENOENT, %d ENODEV, %d files kept", o.tries, o.enoent,
	     o.enodev, o.nfds);
	ok(!o.bad_errno, "each open during the load: a file, ENOENT or ENODEV (%d opens%s%s)",
	   o.tries, o.bad_errno ? ", got " : "", o.bad_errno ? strerror(o.bad_errno) : "");
	ok(all_work(&o), "the %d files it got all work", o.nfds);
	close_all(&o);
	is_int(mod_unload(MOD), 0, "unload");
}

/* How many fault sites a successful load passes. */
static int count_sites(void)
{
	char buf[16];
	ssize_t n;
	int left;

	fi_arm(1000000);
	if (mod_load(MOD, PARAMS))
		bail_out("cannot load %s %s", MOD, PARAMS);
	n = pread(fi_nth_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	left = atoi(buf);
	fi_disarm();
	fi_collect();
	mod_unload(MOD);
	return 1000000 - left;
}

static void test_failed_load_window(void)
{
	int sites, i, steps = 12, failed = 0, stranded = 0;
	char reports[256] = "";

	if (fi_setup()) {
		skip("no fault injection in this kernel", "no open file outlives a failed load");
		return;
	}
	mod_ensure_unloaded(MOD);
	sites = count_sites();
	diag("a load of " PARAMS " passes %d fault sites", sites);
	for (i = 1; i <= steps; i++) {
		int nth = (int)((long)sites * i / steps), ret;
		struct opener o;

		start_opener(&o);
		fi_arm(nth);
		ret = mod_load(MOD, PARAMS);
		fi_disarm();
		stop_opener(&o);
		fi_collect();
		if (fi_last_report[0] && !reports[0])
			snprintf(reports, sizeof(reports), "%s", fi_last_report);
		if (ret == 0) {
			close_all(&o);
			mod_unload(MOD);
			continue;
		}
		failed++;
		if (o.nfds) {
			/* a file into a freed module: touching it would crash */
			diag("site %d of %d: the load failed (%s) but %d opens succeeded",
			     nth, sites, strerror(-ret), o.nfds);
			stranded++;
		}
	}
	diag("failures injected at %d distinct sites in %s, %d elsewhere",
	     fi_count_sites(MOD, true), MOD, fi_count_sites(MOD, false));
	ok(failed, "loads failed at %d of %d sites spread over the load", failed, steps);
	is_int(stranded, 0, "no open succeeded during a load that failed");
	ok(!reports[0], "no kernel report%s%s", reports[0] ? ": " : "", reports);
}

int main(void)
{
	test_open_during_load();
	test_failed_load_window();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
