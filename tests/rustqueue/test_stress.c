// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue stress: P producers and C consumers on one queue, in packet
 * mode, every message carrying its producer and sequence number.  Run in
 * waiting mode (blocking reads and writes) and in non-blocking mode
 * (O_NONBLOCK, EAGAIN, poll()).  Checks: no message lost, none
 * duplicated, and each consumer sees every producer's messages in order.
 *
 *	test_stress [PRODUCERS CONSUMERS MESSAGES_PER_PRODUCER]
 *
 * 100k messages per producer by default; 25k on the debug kernel, where
 * each message costs some 20 times more.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"
#define STOP UINT32_MAX

struct msg {
	uint32_t producer;
	uint32_t seq;
	uint64_t check;		/* a function of the two: detects torn data */
};

static unsigned int nprod = 4, ncons = 4, per_prod = 100000;
static int nonblock;
static atomic_uchar *seen;		/* [producer * per_prod + seq] */
static atomic_long duplicates, out_of_order, torn, errors;

static uint64_t check_of(uint32_t p, uint32_t s)
{
	return ((uint64_t)p << 32 | s) * 0x9e3779b97f4a7c15ULL;
}

static int open_q(int oflags)
{
	return rq_open_mode(DEV, oflags | (nonblock ? O_NONBLOCK : 0),
			    RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET);
}

/* wait, in non-blocking mode, until fd is ready for events */
static void wait_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 10000) != 1)
		atomic_fetch_add(&errors, 1);
}

static void put(int fd, const struct msg *m)
{
	for (;;) {
		ssize_t n = write(fd, m, sizeof(*m));

		if (n == sizeof(*m))
			return;
		if (n < 0 && errno == EAGAIN && nonblock) {
			wait_ready(fd, POLLOUT);
			continue;
		}
		atomic_fetch_add(&errors, 1);
		return;
	}
}

static void *producer(void *arg)
{
	uint32_t id = (uintptr_t)arg, s;
	int fd = open_q(O_WRONLY);
	struct msg m;

	for (s = 0; s < per_prod; s++) {
		m.producer = id;
		m.seq = s;
		m.check = check_of(id, s);
		put(fd, &m);
	}
	close(fd);
	return NULL;
}

static void *consumer(void *arg)
{
	int64_t *last = calloc(nprod, sizeof(*last));
	int fd = open_q(O_RDONLY);
	unsigned int p;
	struct msg m;

	(void)arg;
	for (p = 0; p < nprod; p++)
		last[p] = -1;
	for (;;) {
		ssize_t n = read(fd, &m, sizeof(m));

		if (n < 0 && errno == EAGAIN && nonblock) {
			wait_ready(fd, POLLIN);
			continue;
		}
		if (n != sizeof(m)) {
			atomic_fetch_add(&errors, 1);
			break;
		}
		if (m.producer == STOP)
			break;
		if (m.producer >= nprod || m.seq >= per_prod ||
		    m.check != check_of(m.producer, m.seq)) {
			atomic_fetch_add(&torn, 1);
			continue;
		}
		if ((int64_t)m.seq <= last[m.producer])
			atomic_fetch_add(&out_of_order, 1);
		last[m.producer] = m.seq;
		if (atomic_exchange(&seen[(size_t)m.producer * per_prod + m.seq], 1))
			atomic_fetch_add(&duplicates, 1);
	}
	close(fd);
	free(last);
	return NULL;
}

static void run(int nb)
{
	pthread_t *pt = calloc(nprod, sizeof(*pt)), *ct = calloc(ncons, sizeof(*ct));
	size_t total = (size_t)nprod * per_prod, i, lost = 0;
	const char *mode = nb ? "non-blocking (O_NONBLOCK + poll)" : "blocking";
	struct timespec t0, t1;
	struct rustqueue_info s;
	struct msg stop = { .producer = STOP };
	int fd;

	nonblock = nb;
	seen = calloc(total, 1);
	duplicates = out_of_order = torn = errors = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ncons; i++)
		pthread_create(&ct[i], NULL, consumer, NULL);
	for (i = 0; i < nprod; i++)
		pthread_create(&pt[i], NULL, producer, (void *)(uintptr_t)i);
	for (i = 0; i < nprod; i++)
		pthread_join(pt[i], NULL);
	/* every data message is queued ahead of the stops */
	fd = open_q(O_WRONLY);
	for (i = 0; i < ncons; i++)
		put(fd, &stop);
	for (i = 0; i < ncons; i++)
		pthread_join(ct[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (i = 0; i < total; i++)
		lost += !seen[i];
	diag("%s: %ux%u x %u messages in %.1f s (guest clock)", mode, nprod,
	     ncons, per_prod, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	is_int(lost, 0, "%s: no message lost (of %zu)", mode, total);
	is_int(duplicates, 0, "%s: no message duplicated", mode);
	is_int(out_of_order, 0, "%s: every consumer saw each producer's messages in order", mode);
	is_int(torn, 0, "%s: no torn or foreign message", mode);
	is_int(errors, 0, "%s: no unexpected errors", mode);
	s = rq_info(fd);
	ok(s.count == 0 && s.enqueued == s.dequeued && s.bytes == 0,
	   "%s: the queue ends empty (enqueued %llu = dequeued %llu)", mode,
	   (unsigned long long)s.enqueued, (unsigned long long)s.dequeued);
	close(fd);
	free(seen);
	free(pt);
	free(ct);
}

int main(int argc, char **argv)
{
	int ret;

	if (debug_kernel())
		per_prod = 25000;
	if (argc == 4) {
		nprod = atoi(argv[1]);
		ncons = atoi(argv[2]);
		per_prod = atoi(argv[3]);
	}
	for (ret = 0; ret < 2; ret++) {
		mod_reload_or_bail(MOD, "verbose=0");
		run(ret);
		is_int(mod_unload(MOD), 0, "unload");
	}
	return done_testing();
}
