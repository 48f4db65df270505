/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the benchmarks in bench/ share: pinning the two sides
 * of a transfer to two CPUs, dying on an error, sorting run times.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif /* BENCH_H */
