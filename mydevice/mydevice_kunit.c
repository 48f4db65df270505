// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of mydevice's ring buffer (ring.c): the suite
 * "mydevice_ring"; and of COPY_BUF's user address conversion (uptr.h):
 * the suite "mydevice_uptr".
 *
 * ring.c is compiled into this module (the #include below), so the tests
 * run the very code mydevice.ko runs and mydevice.ko exports nothing for
 * them.  Every case has a ring of its own that only its thread touches:
 * no lock is needed, as the ring's callers must otherwise provide one.
 *
 * Bytes come and go through kvec iterators over kernel buffers, and in
 * the fault cases through ITER_UBUF iterators over user memory that the
 * case maps into its own mm with kunit_vm_mmap(): a readable and
 * writable page followed by a PROT_NONE page, so that a buffer reaching
 * across the boundary faults part way.
 *
 * Built only against a kernel with KUnit (mydevice/Kbuild).  Loading the
 * module runs the suite; the results are in the kernel log and in
 * /sys/kernel/debug/kunit/mydevice_ring/results (KTAP).
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "ring.c"
#include "uptr.h"

#define RSIZE	MYDEV_RING_SIZE

/* ---- helpers ------------------------------------------------------------ */

static struct mydev_ring *new_ring(struct kunit *test)
{
	struct mydev_ring *ring = kunit_kzalloc(test, sizeof(*ring), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ring);
	return ring;
}

static u8 *new_buf(struct kunit *test, size_t n)
{
	u8 *buf = kunit_kzalloc(test, n, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	return buf;
}

/* bytes that differ from their neighbours and, past 256, from themselves */
static void pattern(u8 *buf, size_t n, u8 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (u8)(seed + i * 37 + i / 256);
}

/* xorshift32: a fixed sequence from a fixed seed */
static u32 prng(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static ssize_t ring_put(struct mydev_ring *ring, const void *buf, size_t n)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = n };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, n);
	return mydev_ring_write(ring, &it);
}

static ssize_t ring_get(struct mydev_ring *ring, void *buf, size_t n)
{
	struct kvec kv = { .iov_base = buf, .iov_len = n };
	struct iov_iter it;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, n);
	return mydev_ring_read(ring, &it);
}

/* the bytes the ring holds, oldest first, into @out (RSIZE bytes) */
static unsigned int ring_peek(const struct mydev_ring *ring, u8 *out)
{
	unsigned int i;

	for (i = 0; i < ring->len; i++)
		out[i] = ring->data[(ring->head + i) % RSIZE];
	return ring->len;
}

/* bring an empty ring's head to @head the way a user would: bytes in, out */
static void ring_advance(struct kunit *test, struct mydev_ring *ring,
			 unsigned int head)
{
	size_t n = (head + RSIZE - ring->head) % RSIZE;
	u8 *buf = new_buf(test, RSIZE);

	KUNIT_ASSERT_EQ(test, ring->len, 0U);
	KUNIT_ASSERT_EQ(test, ring_put(ring, buf, n), (ssize_t)n);
	KUNIT_ASSERT_EQ(test, ring_get(ring, buf, n), (ssize_t)n);
	KUNIT_ASSERT_EQ(test, ring->head, head);
}

/* what a failed operation must leave alone */
struct ring_snap {
	unsigned int head;
	unsigned int len;
	u8 bytes[RSIZE];
};

static struct ring_snap *ring_snap(struct kunit *test,
				   const struct mydev_ring *ring)
{
	struct ring_snap *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s);
	s->head = ring->head;
	s->len = ring_peek(ring, s->bytes);
	return s;
}

static void expect_unchanged(struct kunit *test, const struct mydev_ring *ring,
			     const struct ring_snap *s)
{
	u8 *now = new_buf(test, RSIZE);

	KUNIT_EXPECT_EQ(test, ring->head, s->head);
	KUNIT_EXPECT_EQ(test, ring->len, s->len);
	ring_peek(ring, now);
	KUNIT_EXPECT_MEMEQ(test, now, s->bytes, min(ring->len, s->len));
}

/*
 * User memory in this case's own mm: a readable and writable page, then
 * a PROT_NONE page.  Returns the address where the accessible page ends.
 */
static unsigned long user_edge(struct kunit *test)
{
	unsigned long base, guard;

	base = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, !base || IS_ERR_VALUE(base),
			       "cannot map user memory: %ld", (long)base);
	guard = kunit_vm_mmap(test, NULL, base + PAGE_SIZE, PAGE_SIZE,
			      PROT_NONE, MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED,
			      0);
	KUNIT_ASSERT_EQ(test, guard, base + PAGE_SIZE);
	return base + PAGE_SIZE;
}

static void user_put(struct kunit *test, unsigned long uaddr, const void *src,
		     size_t n)
{
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr, src, n), 0UL);
}

static void user_get(struct kunit *test, void *dst, unsigned long uaddr,
		     size_t n)
{
	KUNIT_ASSERT_EQ(test, copy_from_user(dst, (void __user *)uaddr, n), 0UL);
}

static ssize_t ring_put_user(struct kunit *test, struct mydev_ring *ring,
			     unsigned long uaddr, size_t n)
{
	struct iov_iter it;

	KUNIT_ASSERT_EQ(test, import_ubuf(ITER_SOURCE, (void __user *)uaddr, n,
					  &it), 0);
	return mydev_ring_write(ring, &it);
}

static ssize_t ring_get_user(struct kunit *test, struct mydev_ring *ring,
			     unsigned long uaddr, size_t n)
{
	struct iov_iter it;

	KUNIT_ASSERT_EQ(test, import_ubuf(ITER_DEST, (void __user *)uaddr, n,
					  &it), 0);
	return mydev_ring_read(ring, &it);
}

/* ---- sizes and boundaries ----------------------------------------------- */

/* An empty ring reads end-of-file and does not touch the reader's buffer. */
static void ring_test_empty_read(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *buf = new_buf(test, 16);

	memset(buf, 0xaa, 16);
	KUNIT_EXPECT_EQ(test, ring_get(ring, buf, 16), 0);
	KUNIT_EXPECT_EQ(test, ring->len, 0U);
	KUNIT_EXPECT_EQ(test, ring->head, 0U);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0xaa, 16));

	/* and again once bytes have come and gone */
	ring_advance(test, ring, 100);
	KUNIT_EXPECT_EQ(test, ring_get(ring, buf, 16), 0);
	KUNIT_EXPECT_EQ(test, ring->head, 100U);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0xaa, 16));
}

/* Exactly RSIZE bytes fit, in pieces or at once; one more is ENOSPC. */
static void ring_test_fill_exactly(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, RSIZE + 1);
	u8 *out = new_buf(test, RSIZE + 1);

	pattern(in, RSIZE + 1, 1);
	KUNIT_EXPECT_EQ(test, ring_put(ring, in, 100), 100);
	KUNIT_EXPECT_EQ(test, ring_put(ring, in + 100, 100), 100);
	KUNIT_EXPECT_EQ(test, ring_put(ring, in + 200, RSIZE - 200),
			RSIZE - 200);
	KUNIT_EXPECT_EQ(test, ring->len, RSIZE);
	KUNIT_EXPECT_EQ(test, ring_put(ring, in + RSIZE, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ring_put(ring, in, RSIZE), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ring->len, RSIZE);

	KUNIT_EXPECT_EQ(test, ring_get(ring, out, RSIZE + 1), RSIZE);
	KUNIT_EXPECT_MEMEQ(test, out, in, RSIZE);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, RSIZE + 1), 0);

	KUNIT_EXPECT_EQ(test, ring_put(ring, in, RSIZE), RSIZE);
	KUNIT_EXPECT_EQ(test, ring_put(ring, in, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, RSIZE), RSIZE);
	KUNIT_EXPECT_MEMEQ(test, out, in, RSIZE);
}

/* A write takes min(its size, free space): what fits, the rest is left. */
static void ring_test_partial_write(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *a = new_buf(test, RSIZE - 6);
	u8 *b = new_buf(test, 10);
	u8 *big = new_buf(test, 1000);
	u8 *out = new_buf(test, 1000);
	struct kvec kv = { .iov_base = b, .iov_len = 10 };
	struct iov_iter it;

	pattern(a, RSIZE - 6, 3);
	pattern(b, 10, 200);
	KUNIT_ASSERT_EQ(test, ring_put(ring, a, RSIZE - 6), RSIZE - 6);
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, 10);
	KUNIT_EXPECT_EQ(test, mydev_ring_write(ring, &it), 6);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&it), 4);
	KUNIT_EXPECT_EQ(test, ring->len, RSIZE);
	KUNIT_EXPECT_EQ(test, ring_put(ring, b + 6, 4), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, RSIZE), RSIZE);
	KUNIT_EXPECT_MEMEQ(test, out, a, RSIZE - 6);
	KUNIT_EXPECT_MEMEQ(test, out + RSIZE - 6, b, 6);

	/* more than the whole ring: its size */
	pattern(big, 1000, 7);
	KUNIT_EXPECT_EQ(test, ring_put(ring, big, 1000), RSIZE);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, 1000), RSIZE);
	KUNIT_EXPECT_MEMEQ(test, out, big, RSIZE);
}

/* A read takes only what the reader has room for; the rest stays. */
static void ring_test_short_read(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 50);
	u8 *out = new_buf(test, 100);

	pattern(in, 50, 11);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 50), 50);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, 20), 20);
	KUNIT_EXPECT_MEMEQ(test, out, in, 20);
	KUNIT_EXPECT_EQ(test, ring->len, 30U);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, 1), 1);
	KUNIT_EXPECT_EQ(test, out[0], in[20]);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, 100), 29);
	KUNIT_EXPECT_MEMEQ(test, out, in + 21, 29);
	KUNIT_EXPECT_EQ(test, ring->len, 0U);
}

/* Zero bytes: 0, even on a full ring (not ENOSPC), and nothing moves. */
static void ring_test_zero_length(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *buf = new_buf(test, RSIZE);

	KUNIT_EXPECT_EQ(test, ring_put(ring, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, ring_get(ring, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, ring->len, 0U);

	ring_advance(test, ring, 77);
	KUNIT_ASSERT_EQ(test, ring_put(ring, buf, 10), 10);
	KUNIT_EXPECT_EQ(test, ring_get(ring, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, ring_put(ring, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, ring->len, 10U);
	KUNIT_EXPECT_EQ(test, ring->head, 77U);

	KUNIT_ASSERT_EQ(test, ring_put(ring, buf, RSIZE - 10), RSIZE - 10);
	KUNIT_EXPECT_EQ(test, ring_put(ring, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, ring_get(ring, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, ring->len, RSIZE);
	KUNIT_EXPECT_EQ(test, ring->head, 77U);
}

/* ---- order and wrap-around ---------------------------------------------- */

/* Bytes come out in the order they went in, across the end of the array. */
static void ring_test_wrap_fifo(struct kunit *test)
{
	static const size_t pieces[] = { 3, 7, 11, 19 };
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 40);
	u8 *out = new_buf(test, 40);
	size_t i, off = 0;

	ring_advance(test, ring, RSIZE - 6);
	pattern(in, 40, 9);
	/* 6 bytes up to the end, 14 from index 0 */
	KUNIT_EXPECT_EQ(test, ring_put(ring, in, 20), 20);
	KUNIT_EXPECT_MEMEQ(test, ring->data + RSIZE - 6, in, 6);
	KUNIT_EXPECT_MEMEQ(test, ring->data, in + 6, 14);
	/* the free space now starts after the wrap */
	KUNIT_EXPECT_EQ(test, ring_put(ring, in + 20, 20), 20);
	KUNIT_EXPECT_MEMEQ(test, ring->data + 14, in + 20, 20);

	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		KUNIT_EXPECT_EQ(test, ring_get(ring, out + off, pieces[i]),
				(ssize_t)pieces[i]);
		off += pieces[i];
	}
	KUNIT_EXPECT_EQ(test, off, 40);
	KUNIT_EXPECT_MEMEQ(test, out, in, 40);
	KUNIT_EXPECT_EQ(test, ring->len, 0U);
	KUNIT_EXPECT_EQ(test, ring->head, 34U);
}

/* A full ring's worth in and out again from every head position. */
static void ring_test_wrap_every_head(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, RSIZE);
	u8 *out = new_buf(test, RSIZE);
	unsigned int h;

	for (h = 0; h < RSIZE; h++) {
		ring_advance(test, ring, h);
		pattern(in, RSIZE, h);
		memset(out, 0, RSIZE);
		KUNIT_ASSERT_EQ_MSG(test, ring_put(ring, in, RSIZE), RSIZE,
				    "head %u", h);
		KUNIT_ASSERT_EQ_MSG(test, ring_get(ring, out, RSIZE), RSIZE,
				    "head %u", h);
		KUNIT_ASSERT_MEMEQ_MSG(test, out, in, RSIZE, "head %u", h);
	}
}

/* Iterators of several segments, empty ones among them, both ways. */
static void ring_test_segments(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 100);
	u8 *out = new_buf(test, 100);
	struct kvec src[] = {
		{ .iov_base = in, .iov_len = 3 },
		{ .iov_base = in + 3, .iov_len = 0 },
		{ .iov_base = in + 3, .iov_len = 20 },
		{ .iov_base = in + 23, .iov_len = 77 },
	};
	struct kvec dst[] = {
		{ .iov_base = out, .iov_len = 1 },
		{ .iov_base = out + 1, .iov_len = 50 },
		{ .iov_base = out + 51, .iov_len = 0 },
		{ .iov_base = out + 51, .iov_len = 49 },
	};
	struct iov_iter it;

	pattern(in, 100, 21);
	ring_advance(test, ring, RSIZE - 10);
	iov_iter_kvec(&it, ITER_SOURCE, src, ARRAY_SIZE(src), 100);
	KUNIT_EXPECT_EQ(test, mydev_ring_write(ring, &it), 100);
	iov_iter_kvec(&it, ITER_DEST, dst, ARRAY_SIZE(dst), 100);
	KUNIT_EXPECT_EQ(test, mydev_ring_read(ring, &it), 100);
	KUNIT_EXPECT_MEMEQ(test, out, in, 100);
}

/*
 * Many rounds of random reads and writes of random sizes, each checked
 * against a plain array FIFO: return values, the bytes read, and the
 * whole contents after every operation.  The data is random too, so that
 * a byte from a lap before (the same index of the array) would show.
 */
#define MODEL_ROUNDS	20000
#define MODEL_MAX	300

struct ring_model {
	u8 bytes[RSIZE];
	size_t len;
};

static void ring_test_model(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	struct ring_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u8 *buf = new_buf(test, MODEL_MAX);
	u8 *now = new_buf(test, RSIZE);
	unsigned int full = 0, empty = 0, wraps = 0;
	u32 seed = 0x6d796476;	/* "mydv" */
	int round;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m);
	for (round = 0; round < MODEL_ROUNDS; round++) {
		u32 r = prng(&seed);
		/* mostly small sizes, a quarter of them up to MODEL_MAX */
		size_t n = (r >> 8) % ((r & 3) ? 24 : MODEL_MAX + 1);
		unsigned int old_head = ring->head;
		ssize_t want, got;
		size_t i;

		if (r & 4) {
			for (i = 0; i < n; i++)
				buf[i] = (u8)prng(&seed);
			if (!n)
				want = 0;
			else if (m->len == RSIZE)
				want = -ENOSPC;
			else
				want = min(n, RSIZE - m->len);
			got = ring_put(ring, buf, n);
			KUNIT_ASSERT_EQ_MSG(test, got, want,
					    "round %d: write %zu, held %zu",
					    round, n, m->len);
			if (want > 0) {
				memcpy(m->bytes + m->len, buf, want);
				m->len += want;
			}
			full += want == -ENOSPC;
		} else {
			memset(buf, 0, MODEL_MAX);
			want = min(n, m->len);
			got = ring_get(ring, buf, n);
			KUNIT_ASSERT_EQ_MSG(test, got, want,
					    "round %d: read %zu, held %zu",
					    round, n, m->len);
			KUNIT_ASSERT_MEMEQ_MSG(test, buf, m->bytes, want,
					       "round %d", round);
			memmove(m->bytes, m->bytes + want, m->len - want);
			m->len -= want;
			empty += n && !want;
			wraps += ring->head < old_head;
		}
		KUNIT_ASSERT_LT(test, ring->head, RSIZE);
		KUNIT_ASSERT_EQ_MSG(test, ring->len, m->len, "round %d", round);
		ring_peek(ring, now);
		KUNIT_ASSERT_MEMEQ_MSG(test, now, m->bytes, m->len,
				       "round %d", round);
	}
	/* the walk reached both ends and went round: it tested something */
	KUNIT_EXPECT_GT(test, full, 10U);
	KUNIT_EXPECT_GT(test, empty, 10U);
	KUNIT_EXPECT_GT(test, wraps, 10U);
	kunit_info(test, "%d rounds: %u writes to a full ring, %u reads of an empty one, %u wraps",
		   MODEL_ROUNDS, full, empty, wraps);
}

/* ---- COPY_BUF's replace ------------------------------------------------- */

/* The new bytes are the whole contents, from index 0, at most RSIZE. */
static void ring_test_replace(struct kunit *test)
{
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, RSIZE + 44);
	u8 *more = new_buf(test, 100);
	u8 *out = new_buf(test, RSIZE + 44);

	pattern(in, RSIZE + 44, 31);
	pattern(more, 100, 113);
	ring_advance(test, ring, 200);
	KUNIT_ASSERT_EQ(test, ring_put(ring, more, 100), 100);

	/* too long: truncated to the ring's size */
	KUNIT_EXPECT_EQ(test, mydev_ring_replace(ring, in, RSIZE + 44), RSIZE);
	KUNIT_EXPECT_EQ(test, ring->head, 0U);
	KUNIT_EXPECT_EQ(test, ring->len, RSIZE);
	KUNIT_EXPECT_EQ(test, ring_put(ring, more, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, RSIZE + 44), RSIZE);
	KUNIT_EXPECT_MEMEQ(test, out, in, RSIZE);

	/* shorter: the old bytes go, and writes append after the new ones */
	ring_advance(test, ring, 123);
	KUNIT_ASSERT_EQ(test, ring_put(ring, more, 50), 50);
	KUNIT_EXPECT_EQ(test, mydev_ring_replace(ring, in, 10), 10);
	KUNIT_EXPECT_EQ(test, ring->head, 0U);
	KUNIT_EXPECT_EQ(test, ring->len, 10U);
	KUNIT_EXPECT_EQ(test, ring_put(ring, more, 5), 5);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, 100), 15);
	KUNIT_EXPECT_MEMEQ(test, out, in, 10);
	KUNIT_EXPECT_MEMEQ(test, out + 10, more, 5);

	/* none: empty, head at 0 */
	KUNIT_ASSERT_EQ(test, ring_put(ring, more, 30), 30);
	KUNIT_EXPECT_EQ(test, mydev_ring_replace(ring, in, 0), 0);
	KUNIT_EXPECT_EQ(test, ring->head, 0U);
	KUNIT_EXPECT_EQ(test, ring->len, 0U);
	KUNIT_EXPECT_EQ(test, ring_get(ring, out, 100), 0);
}

/* ---- faults, with user memory ------------------------------------------- */

/* A write whose bytes fault stores none of them: EFAULT, nothing changes. */
static void ring_test_write_fault(struct kunit *test)
{
	unsigned long edge = user_edge(test);
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 100);
	u8 *now = new_buf(test, RSIZE);
	struct ring_snap *s;

	pattern(in, 40, 1);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 40), 40);
	s = ring_snap(test, ring);

	/* 100 bytes that would fit, the last 40 of them in the PROT_NONE page */
	pattern(in, 60, 2);
	user_put(test, edge - 60, in, 60);
	KUNIT_EXPECT_EQ(test, ring_put_user(test, ring, edge - 60, 100),
			-EFAULT);
	expect_unchanged(test, ring, s);
	/* all of them there */
	KUNIT_EXPECT_EQ(test, ring_put_user(test, ring, edge, 10), -EFAULT);
	expect_unchanged(test, ring, s);

	/* the accessible part alone goes in, after the old bytes */
	KUNIT_EXPECT_EQ(test, ring_put_user(test, ring, edge - 60, 60), 60);
	KUNIT_EXPECT_EQ(test, ring_peek(ring, now), 100U);
	KUNIT_EXPECT_MEMEQ(test, now, s->bytes, 40);
	KUNIT_EXPECT_MEMEQ(test, now + 40, in, 60);
}

/*
 * The same where the write wraps: the part up to the end of the array
 * copies fine, the part from index 0 faults.  Still nothing changes.
 */
static void ring_test_write_fault_wrapped(struct kunit *test)
{
	unsigned long edge = user_edge(test);
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 50);
	u8 *now = new_buf(test, RSIZE);
	struct ring_snap *s;

	ring_advance(test, ring, RSIZE - 30);
	pattern(in, 10, 5);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 10), 10);
	s = ring_snap(test, ring);

	/* free space: 20 bytes to the end, then from 0; the source's last 30 fault */
	pattern(in, 50, 6);
	user_put(test, edge - 50, in, 50);
	KUNIT_EXPECT_EQ(test, ring_put_user(test, ring, edge - 50, 80),
			-EFAULT);
	expect_unchanged(test, ring, s);

	/* the accessible 50 go in, across the end */
	KUNIT_EXPECT_EQ(test, ring_put_user(test, ring, edge - 50, 50), 50);
	KUNIT_EXPECT_EQ(test, ring_peek(ring, now), 60U);
	KUNIT_EXPECT_MEMEQ(test, now, s->bytes, 10);
	KUNIT_EXPECT_MEMEQ(test, now + 10, in, 50);
}

/* Bytes past what fits are never read: their fault does not matter. */
static void ring_test_write_fault_past_fit(struct kunit *test)
{
	unsigned long edge = user_edge(test);
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, RSIZE);
	u8 *now = new_buf(test, RSIZE);

	pattern(in, RSIZE - 16, 8);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, RSIZE - 16), RSIZE - 16);
	pattern(in + RSIZE - 16, 16, 9);
	user_put(test, edge - 16, in + RSIZE - 16, 16);
	/* 100 bytes offered, 16 fit, the 84 after them are in PROT_NONE */
	KUNIT_EXPECT_EQ(test, ring_put_user(test, ring, edge - 16, 100), 16);
	KUNIT_EXPECT_EQ(test, ring_peek(ring, now), RSIZE);
	KUNIT_EXPECT_MEMEQ(test, now, in, RSIZE);
}

/* A read that delivers nothing takes nothing: EFAULT. */
static void ring_test_read_fault_nothing(struct kunit *test)
{
	unsigned long edge = user_edge(test);
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 50);
	struct ring_snap *s;

	ring_advance(test, ring, RSIZE - 20);
	pattern(in, 50, 4);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 50), 50);
	s = ring_snap(test, ring);

	KUNIT_EXPECT_EQ(test, ring_get_user(test, ring, edge, 10), -EFAULT);
	expect_unchanged(test, ring, s);
	KUNIT_EXPECT_EQ(test, ring_get_user(test, ring, edge, 100), -EFAULT);
	expect_unchanged(test, ring, s);

	/* an empty ring has nothing to deliver: end-of-file, not EFAULT */
	KUNIT_ASSERT_EQ(test, ring_get(ring, in, 50), 50);
	KUNIT_EXPECT_EQ(test, ring_get_user(test, ring, edge, 10), 0);
}

/*
 * check_partial_read: after a read returned @got of @n bytes that were
 * held, its user buffer at @uaddr starts with the first @got of
 * @held, and the ring holds exactly the rest.
 */
static void check_partial_read(struct kunit *test, struct mydev_ring *ring,
			       const u8 *held, size_t n, unsigned long uaddr,
			       ssize_t got)
{
	u8 *buf = new_buf(test, RSIZE);

	user_get(test, buf, uaddr, got);
	KUNIT_EXPECT_MEMEQ(test, buf, held, got);
	KUNIT_EXPECT_EQ(test, ring->len, n - got);
	KUNIT_EXPECT_EQ(test, ring_get(ring, buf, RSIZE), (ssize_t)(n - got));
	KUNIT_EXPECT_MEMEQ(test, buf, held + got, n - got);
}

/*
 * A read into a buffer that faults part way returns what it delivered
 * (at least a byte: uaccess may stop short of the fault, not at 0), and
 * only that leaves the ring.
 */
static void ring_test_read_fault_partway(struct kunit *test)
{
	unsigned long edge = user_edge(test);
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 100);
	ssize_t got;

	pattern(in, 100, 12);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 100), 100);
	/* room for 100, the first 30 accessible */
	got = ring_get_user(test, ring, edge - 30, 100);
	KUNIT_ASSERT_GE(test, got, 1);
	KUNIT_ASSERT_LE(test, got, 30);
	check_partial_read(test, ring, in, 100, edge - 30, got);
}

/* The same across the end of the array, faulting in either part. */
static void ring_test_read_fault_wrapped(struct kunit *test)
{
	unsigned long edge = user_edge(test);
	struct mydev_ring *ring = new_ring(test);
	u8 *in = new_buf(test, 60);
	ssize_t got;

	pattern(in, 60, 13);
	/* 20 bytes up to the end of the array, 40 from index 0 */
	ring_advance(test, ring, RSIZE - 20);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 60), 60);
	/* the fault in the second part: all 20 of the first are delivered */
	got = ring_get_user(test, ring, edge - 35, 50);
	KUNIT_ASSERT_GE(test, got, 21);
	KUNIT_ASSERT_LE(test, got, 35);
	KUNIT_EXPECT_EQ(test, ring->head, (unsigned int)(got - 20));
	check_partial_read(test, ring, in, 60, edge - 35, got);

	ring_advance(test, ring, RSIZE - 20);
	KUNIT_ASSERT_EQ(test, ring_put(ring, in, 60), 60);
	/* the fault in the first part: the second is not tried */
	got = ring_get_user(test, ring, edge - 10, 50);
	KUNIT_ASSERT_GE(test, got, 1);
	KUNIT_ASSERT_LE(test, got, 10);
	KUNIT_EXPECT_EQ(test, ring->head, (unsigned int)(RSIZE - 20 + got));
	check_partial_read(test, ring, in, 60, edge - 10, got);
}

static struct kunit_case mydevice_ring_cases[] = {
	KUNIT_CASE(ring_test_empty_read),
	KUNIT_CASE(ring_test_fill_exactly),
	KUNIT_CASE(ring_test_partial_write),
	KUNIT_CASE(ring_test_short_read),
	KUNIT_CASE(ring_test_zero_length),
	KUNIT_CASE(ring_test_wrap_fifo),
	KUNIT_CASE(ring_test_wrap_every_head),
	KUNIT_CASE(ring_test_segments),
	KUNIT_CASE(ring_test_model),
	KUNIT_CASE(ring_test_replace),
	KUNIT_CASE(ring_test_write_fault),
	KUNIT_CASE(ring_test_write_fault_wrapped),
	KUNIT_CASE(ring_test_write_fault_past_fit),
	KUNIT_CASE(ring_test_read_fault_nothing),
	KUNIT_CASE(ring_test_read_fault_partway),
	KUNIT_CASE(ring_test_read_fault_wrapped),
	{}
};

static struct kunit_suite mydevice_ring_suite = {
	.name = "mydevice_ring",
	.test_cases = mydevice_ring_cases,
};

/* ---- COPY_BUF's user address (uptr.h) ---------------------------------- */

/* what fits in an unsigned long becomes that pointer, unchanged */
static void uptr_test_fits(struct kunit *test)
{
	static const u64 addrs[] = { 0, 1, 0x12345678, 0xffffffff };
	void __user *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		p = (void __user *)1;
		KUNIT_EXPECT_EQ(test, mydev_user_ptr(addrs[i], &p), 0);
		KUNIT_EXPECT_EQ(test, (unsigned long)p, (unsigned long)addrs[i]);
	}
}

/*
 * Past 32 bits: a 64-bit kernel takes every value as it is (the copy
 * judges it); a 32-bit one refuses it rather than truncate it.  The
 * debug kernel is 64-bit: tests/mydevice/test_mydevice_m32 checks the
 * 32-bit answer with this same header.
 */
static void uptr_test_wide(struct kunit *test)
{
	static const u64 addrs[] = {
		1ULL << 32, (1ULL << 32) | 0x1000, 1ULL << 63, U64_MAX
	};
	void __user *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		p = (void __user *)1;
		if (IS_ENABLED(CONFIG_64BIT)) {
			KUNIT_EXPECT_EQ(test, mydev_user_ptr(addrs[i], &p), 0);
			KUNIT_EXPECT_EQ(test, (u64)(unsigned long)p, addrs[i]);
		} else {
			KUNIT_EXPECT_EQ(test, mydev_user_ptr(addrs[i], &p), -EFAULT);
			KUNIT_EXPECT_EQ(test, (unsigned long)p, 1UL);
		}
	}
}

static struct kunit_case mydevice_uptr_cases[] = {
	KUNIT_CASE(uptr_test_fits),
	KUNIT_CASE(uptr_test_wide),
	{}
};

static struct kunit_suite mydevice_uptr_suite = {
	.name = "mydevice_uptr",
	.test_cases = mydevice_uptr_cases,
};

kunit_test_suites(&mydevice_ring_suite, &mydevice_uptr_suite);

MODULE_DESCRIPTION("KUnit tests of mydevice's ring buffer and user addresses");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
