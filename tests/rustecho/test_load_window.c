// SPDX-License-Identifier: GPL-2.0
/*
 * rustecho.ko's load must not hand out a device that a failing load then
 * frees.  With fail-nth (the debug kernel), insmod instances=4 is run with
 * its 1st, 2nd, 3rd ... fault site failing, in turn, while a
 * second thread keeps opening /dev/rustecho0..3.  A load that fails must
 * leave that thread no open file (a file opened on a device the failed
 * load registered and freed would point into freed memory); a load that
 * succeeds must serve those files.  Without fault injection (Debian's
 * kernels) a load has no step that can fail after the first device is
 * registered, short of a kernel warning: one skip.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "rustecho_test.h"
#include "faultinj.h"

/* not used here */
static int (*const unused_fi_count_sites)(const char *, bool) __attribute__((unused)) = fi_count_sites;

#define NDEV 4
#define ROUNDS 1
#define MAX_FDS 4096

static atomic_int stop;
static int fds[MAX_FDS];
static atomic_int nfds;

static void *opener(void *arg)
{
	char path[32];
	unsigned int i = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		int fd;

		snprintf(path, sizeof(path), "/dev/rustecho%u", i++ % NDEV);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			int n = atomic_fetch_add(&nfds, 1);

			if (n < MAX_FDS)
				fds[n] = fd;
			else
				close(fd);
		}
	}
	return NULL;
}

int main(void)
{
	unsigned int nth, round, failed = 0, leaked = 0, loads = 0;
	bool done = false;
	pthread_t th;
	int ret, i;

	mod_ensure_unloaded(MOD);
	if (fi_setup()) {
		skip("no fault injection (fail-nth) in this kernel",
		     "a failing load hands out no device");
		return done_testing();
	}
	for (nth = 1; !done && nth < 2000; nth++) {
		for (round = 0; round < ROUNDS && !done; round++) {
			atomic_store(&stop, 0);
			atomic_store(&nfds, 0);
			pthread_create(&th, NULL, opener, NULL);
			fi_arm(nth);
			ret = mod_load(MOD, "instances=4 verbose=0");
			done = !fi_disarm() && !ret;
			atomic_store(&stop, 1);
			pthread_join(th, NULL);
			if (ret) {
				failed++;
				leaked += atomic_load(&nfds);
			} else {
				loads++;
			}
			for (i = 0; i < atomic_load(&nfds) && i < MAX_FDS; i++)
				close(fds[i]);
			if (!ret)
				mod_unload(MOD);
		}
	}
	fi_collect();
	ok(done, "the load succeeds once fail-nth is past its last site (%u)",
	   nth - 1);
	ok(failed > 0, "%u loads failed at an injected fault, %u succeeded",
	   failed, loads);
	is_int(leaked, 0, "a failed load left no file open on its devices");
	mod_ensure_unloaded(MOD);
	return done_testing();
}
