/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the rustqueue tests. */
#ifndef TESTS_RQTEST_H
#define TESTS_RQTEST_H

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/rustqueue.h>
#include <linux/userfaultfd.h>

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

/*
 * A page whose first touch, by the kernel too, waits until the returned
 * userfaultfd resolves it (UFFDIO_ZEROPAGE): a copy to user memory
 * stalled at will.  -1 with errno if the kernel has no userfaultfd for
 * us; the page in *page.
 */
static inline int rq_stalling_page(char **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	long psz = sysconf(_SC_PAGESIZE);
	int uffd, err;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		err = errno;
		close(uffd);
		errno = err;
		return -1;
	}
	*page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*page == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)*page;
	reg.range.len = psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		bail_out("UFFDIO_REGISTER: %s", strerror(errno));
	return uffd;
}

/* Wait until a copy to the page faults (0), or give up after 10 s (-1). */
static inline int rq_page_faulted(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	return poll(&pfd, 1, 10000) == 1 ? 0 : -1;
}

/* Let the stalled copy go on (into a zero page), then forget the page. */
static inline void rq_release_page(int uffd, char *page)
{
	struct uffdio_zeropage zp;

	memset(&zp, 0, sizeof(zp));
	zp.range.start = (unsigned long)page;
	zp.range.len = sysconf(_SC_PAGESIZE);
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		bail_out("UFFDIO_ZEROPAGE: %s", strerror(errno));
	close(uffd);
}

/* A thread's read of 100 bytes of FD into PAGE (a stalling page) */
struct rq_stalled_read {
	int fd;
	char *page;
	ssize_t ret;
};

static inline void *rq_stalled_read_main(void *arg)
{
	struct rq_stalled_read *st = arg;

	st->ret = read(st->fd, st->page, 100);
	return NULL;
}

#endif /* TESTS_RQTEST_H */
