/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the rustqueue tests. */
#ifndef TESTS_RQTEST_H
#define TESTS_RQTEST_H

#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/rustqueue.h>

#include "tap.h"
#include "guest.h"

/* open PATH and set its mode (RUSTQUEUE_F_*) */
static inline int rq_open_mode(const char *path, int oflags, unsigned int mode)
{
	int fd = open(path, oflags);

	if (fd < 0)
		bail_out("open %s: %s", path, strerror(errno));
	if (ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, &mode))
		bail_out("SET_FLAGS %u: %s", mode, strerror(errno));
	return fd;
}

static inline struct rustqueue_info rq_info(int fd)
{
	struct rustqueue_info info;

	memset(&info, 0xa5, sizeof(info));
	if (ioctl(fd, RUSTQUEUE_IOC_GET_INFO, &info))
		bail_out("GET_INFO: %s", strerror(errno));
	return info;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Poll the queue behind FD until N tasks wait in read() (or write()). */
static inline int rq_wait_for_waiters(int fd, unsigned int readers,
				      unsigned int writers)
{
	int i;

	for (i = 0; i < 1000; i++) {
		struct rustqueue_info s = rq_info(fd);

		if (s.waiting_readers == readers && s.waiting_writers == writers)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/*
 * SIGUSR1 counted in rq_signals, interrupting waits (restart 0: they end
 * in EINTR) or restarting them (SA_RESTART).
 */
static volatile sig_atomic_t rq_signals;

static inline void rq_on_signal(int sig)
{
	(void)sig;
	rq_signals++;
}

static inline void rq_catch_usr1(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rq_on_signal;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
}

#endif /* TESTS_RQTEST_H */
