/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the benchmarks in bench/ share: pinning the two sides
 * of a transfer to two CPUs, dying on an error, sorting run times,
 * setting rustqueue's capacity.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/rustqueue.h>

/* producers on CPU 0, consumers on CPU 1; main() clears it on one CPU */
static int pin = 1;

static inline void pin_to(int cpu)
{
	cpu_set_t set;

	if (!pin)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(errno));
	exit(1);
}

/* qsort() comparison of doubles, for medians */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Context switches of the whole process (voluntary and not) since @u0,
 * per message of @messages.
 */
static inline double switches_since(const struct rusage *u0, long messages)
{
	struct rusage u1;

	getrusage(RUSAGE_SELF, &u1);
	return (double)(u1.ru_nvcsw - u0->ru_nvcsw + u1.ru_nivcsw - u0->ru_nivcsw) /
	       messages;
}

/* rustqueue's capacity to @cap, the one before in *@old (if not NULL) */
static inline int set_capacity(unsigned int cap, unsigned int *old)
{
	struct rustqueue_info info;
	int fd = open(RUSTQUEUE_DEVICE, O_RDWR);
	int ret;

	if (fd < 0)
		return -1;
	ret = old ? ioctl(fd, RUSTQUEUE_IOC_GET_INFO, &info) : 0;
	if (!ret && old)
		*old = info.capacity;
	ret = ret ?: ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
	close(fd);
	return ret;
}

#endif /* BENCH_H */
