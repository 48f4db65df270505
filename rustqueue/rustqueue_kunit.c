// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for rustqueue's queue (queue.c), which is compiled into this
 * test module: it needs no device and exports nothing from rustqueue.ko.
 * Built only against a kernel with KUnit (see Kbuild); tests/kunit runs
 * it in the debug guest and reports each case as a TAP line.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/prandom.h>

#include "queue.c"

#define RQT_CAP		4
#define RQT_MAXLEN	8192

/* The byte at @i of message @id: every message's bytes are its own. */
static u8 rqt_byte(unsigned int id, size_t i)
{
	return (u8)(id * 31 + i * 7 + (i >> 8));
}

static struct rq_msg *rqt_msg(struct kunit *test, struct rq_queue *q,
			      size_t len, unsigned int id)
{
	struct rq_msg *msg = rq_get_buffer(q, len, GFP_KERNEL_ACCOUNT);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_ASSERT_GE(test, msg->cap, len);
	for (i = 0; i < len; i++)
		msg->data[i] = rqt_byte(id, i);
	return msg;
}

static bool rqt_is(struct rq_msg *msg, size_t len, unsigned int id)
{
	size_t i;

	if (msg->len != len)
		return false;
	for (i = 0; i < len; i++)
		if (msg->data[i] != rqt_byte(id, i))
			return false;
	return true;
}

/* Take the head message, which must be there and fit in @room. */
static struct rq_msg *rqt_take(struct kunit *test, struct rq_queue *q,
			       size_t room)
{
	struct rq_msg *msg = rq_take(q, room);

	KUNIT_ASSERT_FALSE(test, IS_ERR(msg));
	return msg;
}

/* Enqueue a new message that must fit: the count it reached. */
static unsigned int rqt_put(struct kunit *test, struct rq_queue *q,
			    size_t len, unsigned int id)
{
	unsigned int n = rq_enqueue(q, rqt_msg(test, q, len, id));

	KUNIT_EXPECT_NE(test, n, 0);
	return n;
}

static int rqt_init(struct kunit *test)
{
	struct rq_queue *q = kunit_kzalloc(test, sizeof(*q), GFP_KERNEL);

	if (!q)
		return -ENOMEM;
	rq_queue_init(q, RQT_CAP, RQT_MAXLEN);
	test->priv = q;
	return 0;
}

/* What a test leaves queued or spare is freed; the test frees the rest. */
static void rqt_exit(struct kunit *test)
{
	rq_queue_destroy(test->priv);
}

static void rq_test_alloc_layout(struct kunit *test)
{
	static const size_t lens[] = { 0, 1, 255, 256, 1000, 4000, 4096,
				       8192, 65536, 1 << 22 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		struct rq_msg *msg = rq_msg_alloc(lens[i], GFP_KERNEL_ACCOUNT);
		size_t whole = sizeof(*msg) + lens[i];
		bool inline_ok;

		KUNIT_ASSERT_NOT_NULL(test, msg);
		KUNIT_EXPECT_EQ(test, msg->len, lens[i]);
		KUNIT_EXPECT_EQ(test, msg->cap, lens[i]);
		/*
		 * Inline exactly when the header does not push the data into
		 * a larger size class, and always for small messages.
		 */
		inline_ok = lens[i] < 256 ||
			kmalloc_size_roundup(whole) <= kmalloc_size_roundup(lens[i]);
		KUNIT_EXPECT_EQ_MSG(test, msg->data == msg->inline_data,
				    inline_ok, "len %zu", lens[i]);
		if (lens[i]) {
			/* the whole buffer is ours to write (KASAN sees) */
			memset(msg->data, 0xa5, lens[i]);
			KUNIT_EXPECT_EQ(test, msg->data[lens[i] - 1], 0xa5);
		}
		rq_msg_free(msg);
	}
	/* the case the split exists for: 4 KiB of data in 4 KiB */
	KUNIT_EXPECT_LE(test, kmalloc_size_roundup(4096), 4096);
}

static void rq_test_fifo_order(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	unsigned int id;

	for (id = 1; id <= RQT_CAP; id++)
		KUNIT_EXPECT_EQ(test, rqt_put(test, q, 10 * id, id), id);
	KUNIT_EXPECT_EQ(test, q->count, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->bytes, 10 + 20 + 30 + 40);

	for (id = 1; id <= RQT_CAP; id++) {
		struct rq_msg *msg = rqt_take(test, q, SIZE_MAX);

		KUNIT_EXPECT_TRUE_MSG(test, rqt_is(msg, 10 * id, id),
				      "message %u out of order or damaged", id);
		KUNIT_EXPECT_EQ(test, rq_release(q, msg, false), RQT_CAP - id);
		rq_msg_free(msg);
	}
	KUNIT_EXPECT_EQ(test, q->bytes, 0);
	KUNIT_EXPECT_PTR_EQ(test, rq_take(q, SIZE_MAX), ERR_PTR(-EAGAIN));
}

static void rq_test_full(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *extra;
	unsigned int id;

	for (id = 0; id < RQT_CAP; id++)
		rqt_put(test, q, 5, id);
	KUNIT_EXPECT_FALSE(test, rq_has_room(q));

	extra = rqt_msg(test, q, 5, 99);
	KUNIT_EXPECT_EQ(test, rq_enqueue(q, extra), 0);
	/* refused: nothing about the queue changed, the caller keeps it */
	KUNIT_EXPECT_EQ(test, q->count, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->enqueued, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->bytes, 5 * RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->high_watermark, RQT_CAP);
	rq_msg_free(extra);
}

static void rq_test_take_errors(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msg;

	KUNIT_EXPECT_PTR_EQ(test, rq_take(q, SIZE_MAX), ERR_PTR(-EAGAIN));
	rqt_put(test, q, 100, 1);
	rqt_put(test, q, 10, 2);

	/* too small a buffer: the head stays where it is */
	KUNIT_EXPECT_PTR_EQ(test, rq_take(q, 99), ERR_PTR(-EMSGSIZE));
	KUNIT_EXPECT_EQ(test, q->listed, 2);
	KUNIT_EXPECT_EQ(test, rq_head_len(q), 100);

	msg = rqt_take(test, q, 100);
	KUNIT_EXPECT_TRUE(test, rqt_is(msg, 100, 1));
	rq_release(q, msg, true);
	KUNIT_EXPECT_EQ(test, rq_head_len(q), 10);

	/* an empty message fits in no room at all */
	rqt_put(test, q, 0, 3);
	msg = rqt_take(test, q, 10);
	rq_release(q, msg, true);
	msg = rqt_take(test, q, 0);
	KUNIT_EXPECT_EQ(test, msg->len, 0);
	rq_release(q, msg, true);
	KUNIT_EXPECT_EQ(test, rq_head_len(q), 0);
}

/* A taken message keeps its slot until released. */
static void rq_test_take_holds_slot(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msg, *extra;
	unsigned int id;

	for (id = 0; id < RQT_CAP; id++)
		rqt_put(test, q, 8, id);
	msg = rqt_take(test, q, SIZE_MAX);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP - 1);
	KUNIT_EXPECT_EQ(test, q->count, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->high_watermark, RQT_CAP);
	KUNIT_EXPECT_FALSE(test, rq_has_room(q));

	extra = rqt_msg(test, q, 8, 50);
	KUNIT_EXPECT_EQ(test, rq_enqueue(q, extra), 0);

	KUNIT_EXPECT_EQ(test, rq_release(q, msg, true), RQT_CAP - 1);
	KUNIT_EXPECT_TRUE(test, rq_has_room(q));
	KUNIT_EXPECT_EQ(test, rq_enqueue(q, extra), RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->dequeued, 1);
}

static void rq_test_untake(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *a, *b;

	rqt_put(test, q, 30, 1);
	rqt_put(test, q, 40, 2);
	a = rqt_take(test, q, SIZE_MAX);
	rq_untake(q, a);
	KUNIT_EXPECT_EQ(test, q->listed, 2);
	KUNIT_EXPECT_EQ(test, q->count, 2);
	KUNIT_EXPECT_EQ(test, q->dequeued, 0);
	KUNIT_EXPECT_EQ(test, q->bytes, 70);

	/* back at the head, ahead of the later message */
	b = rqt_take(test, q, SIZE_MAX);
	KUNIT_EXPECT_PTR_EQ(test, a, b);
	KUNIT_EXPECT_TRUE(test, rqt_is(b, 30, 1));
	rq_release(q, b, true);
}

static void rq_test_recycle(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msg, *again;

	rqt_put(test, q, 500, 1);
	msg = rqt_take(test, q, SIZE_MAX);
	KUNIT_EXPECT_EQ(test, rq_release(q, msg, true), 0);
	KUNIT_EXPECT_EQ(test, q->nspare, 1);

	/* outside the size window: a new buffer, the spare stays */
	again = rq_get_buffer(q, 1000, GFP_KERNEL_ACCOUNT);		/* spare too small */
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_NE(test, again, msg);
	rq_msg_free(again);
	again = rq_get_buffer(q, 100, GFP_KERNEL_ACCOUNT);		/* 500 > 2 * 100 + 256 */
	KUNIT_ASSERT_NOT_NULL(test, again);
	KUNIT_EXPECT_PTR_NE(test, again, msg);
	rq_msg_free(again);
	KUNIT_EXPECT_EQ(test, q->nspare, 1);

	/* inside it: the same buffer, holding the new length */
	again = rq_get_buffer(q, 122, GFP_KERNEL_ACCOUNT);		/* 500 <= 2 * 122 + 256 */
	KUNIT_EXPECT_PTR_EQ(test, again, msg);
	KUNIT_EXPECT_EQ(test, again->len, 122);
	KUNIT_EXPECT_EQ(test, again->cap, 500);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	rq_msg_free(again);

	/* without recycling the caller keeps the message */
	rqt_put(test, q, 7, 2);
	msg = rqt_take(test, q, SIZE_MAX);
	rq_release(q, msg, false);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	KUNIT_EXPECT_TRUE(test, rqt_is(msg, 7, 2));

	/* until it gives it back: a spare, as rq_release() makes one */
	rq_recycle(q, msg);
	KUNIT_EXPECT_EQ(test, q->nspare, 1);
	again = rq_get_buffer(q, 7, GFP_KERNEL_ACCOUNT);
	KUNIT_EXPECT_PTR_EQ(test, again, msg);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	rq_msg_free(again);
}

/* A kept message given back to a queue with no room for a spare: freed */
static void rq_test_recycle_full(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msg;
	unsigned int i;

	rqt_put(test, q, 64, 0);
	msg = rqt_take(test, q, SIZE_MAX);
	rq_release(q, msg, false);
	for (i = 0; i < RQT_CAP; i++)
		rqt_put(test, q, 64, i + 1);
	KUNIT_EXPECT_EQ(test, q->count, RQT_CAP);
	rq_recycle(q, msg);		/* KASAN and kmemleak see it freed */
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	KUNIT_EXPECT_LE(test, q->count + q->nspare, q->capacity);

	/* one slot used, the others spare: no room either */
	for (i = 0; i < RQT_CAP; i++)
		rq_release(q, rqt_take(test, q, SIZE_MAX), true);
	KUNIT_EXPECT_EQ(test, q->nspare, RQT_CAP);
	rqt_put(test, q, 64, 9);	/* takes a spare */
	msg = rqt_take(test, q, SIZE_MAX);
	rq_release(q, msg, false);
	rqt_put(test, q, 64, 10);	/* count 1, nspare RQT_CAP - 2 */
	KUNIT_EXPECT_EQ(test, q->count + q->nspare, RQT_CAP - 1);
	rq_recycle(q, msg);		/* room for one: kept */
	KUNIT_EXPECT_EQ(test, q->count + q->nspare, RQT_CAP);
	msg = rq_msg_alloc(64, GFP_KERNEL_ACCOUNT);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	rq_recycle(q, msg);		/* none now: freed */
	KUNIT_EXPECT_EQ(test, q->count + q->nspare, RQT_CAP);
}

/* Spares count against the capacity: count + nspare <= capacity. */
static void rq_test_spares_bounded(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msgs[RQT_CAP];
	unsigned int i;

	for (i = 0; i < RQT_CAP; i++)
		rqt_put(test, q, 64, i);
	for (i = 0; i < RQT_CAP; i++)
		msgs[i] = rqt_take(test, q, SIZE_MAX);
	for (i = 0; i < RQT_CAP; i++) {
		rq_release(q, msgs[i], true);
		KUNIT_EXPECT_LE(test, q->count + q->nspare, q->capacity);
	}
	KUNIT_EXPECT_EQ(test, q->nspare, RQT_CAP);

	/* a freshly allocated message pushes a spare out */
	KUNIT_EXPECT_EQ(test, rq_enqueue(q, rq_msg_alloc(64, GFP_KERNEL_ACCOUNT)), 1);
	KUNIT_EXPECT_EQ(test, q->nspare, RQT_CAP - 1);
	KUNIT_EXPECT_LE(test, q->count + q->nspare, q->capacity);
}

static void rq_test_flush(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *held, *spare;

	rqt_put(test, q, 11, 1);
	spare = rqt_take(test, q, SIZE_MAX);
	rq_release(q, spare, true);
	rqt_put(test, q, 12, 2);
	rqt_put(test, q, 13, 3);
	rqt_put(test, q, 14, 4);
	held = rqt_take(test, q, SIZE_MAX);	/* a reader is copying this one */

	KUNIT_EXPECT_EQ(test, rq_flush(q), 2);
	KUNIT_EXPECT_EQ(test, q->listed, 0);
	KUNIT_EXPECT_EQ(test, q->count, 1);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	KUNIT_EXPECT_EQ(test, q->bytes, 12);
	KUNIT_EXPECT_EQ(test, q->flushed, 2);
	KUNIT_EXPECT_EQ(test, rq_head_len(q), 0);

	KUNIT_EXPECT_EQ(test, rq_release(q, held, true), 0);
	KUNIT_EXPECT_EQ(test, q->bytes, 0);
	KUNIT_EXPECT_EQ(test, rq_flush(q), 0);
	KUNIT_EXPECT_EQ(test, q->flushed, 2);
}

static void rq_test_resize(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msg;
	unsigned int old = 0;

	rqt_put(test, q, 1, 1);
	rqt_put(test, q, 2, 2);
	rqt_put(test, q, 3, 3);
	msg = rqt_take(test, q, SIZE_MAX);
	rq_release(q, msg, true);		/* count 2, nspare 1 */
	KUNIT_EXPECT_EQ(test, q->nspare, 1);

	KUNIT_EXPECT_EQ(test, rq_resize(q, 1, &old), -EBUSY);
	KUNIT_EXPECT_EQ(test, q->capacity, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->count, 2);

	/* to exactly the count: allowed, and the spare goes */
	KUNIT_EXPECT_EQ(test, rq_resize(q, 2, &old), 0);
	KUNIT_EXPECT_EQ(test, old, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->capacity, 2);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	KUNIT_EXPECT_FALSE(test, rq_has_room(q));

	KUNIT_EXPECT_EQ(test, rq_resize(q, 10, &old), 0);
	KUNIT_EXPECT_EQ(test, old, 2);
	KUNIT_EXPECT_TRUE(test, rq_has_room(q));
	/* the messages themselves were never touched */
	msg = rqt_take(test, q, SIZE_MAX);
	KUNIT_EXPECT_TRUE(test, rqt_is(msg, 2, 2));
	rq_release(q, msg, true);
}

static void rq_test_stats(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_stats st;
	struct rq_msg *msg;

	rqt_put(test, q, 100, 1);
	rqt_put(test, q, 200, 2);
	rqt_put(test, q, 300, 3);
	msg = rqt_take(test, q, SIZE_MAX);
	rq_release(q, msg, true);
	rq_count_reject(q, -ENOSPC);
	rq_count_reject(q, -EINVAL);
	rq_count_reject(q, -EINVAL);
	rq_flush(q);

	rq_get_stats(q, &st);
	KUNIT_EXPECT_EQ(test, st.count, 0);
	KUNIT_EXPECT_EQ(test, st.capacity, RQT_CAP);
	KUNIT_EXPECT_EQ(test, st.max_msg_size, RQT_MAXLEN);
	KUNIT_EXPECT_EQ(test, st.bytes, 0);
	KUNIT_EXPECT_EQ(test, st.enqueued, 3);
	KUNIT_EXPECT_EQ(test, st.dequeued, 1);
	KUNIT_EXPECT_EQ(test, st.rejected_full, 1);
	KUNIT_EXPECT_EQ(test, st.rejected_size, 2);
	KUNIT_EXPECT_EQ(test, st.flushed, 2);
	KUNIT_EXPECT_EQ(test, st.high_watermark, 3);
	KUNIT_EXPECT_EQ(test, st.waiting_readers, 0);
	KUNIT_EXPECT_EQ(test, st.waiting_writers, 0);
}

/*
 * A long random run against a model: a FIFO of (id, length) plus the
 * messages taken and not yet released.  After every step the queue's
 * contents, counters and invariants must match the model exactly.
 */
#define RQT_STEPS	20000
#define RQT_MODEL_CAP	16		/* the largest capacity it tries */
#define RQT_HELD	3

struct rqt_model {
	unsigned int id[RQT_MODEL_CAP];
	size_t len[RQT_MODEL_CAP];
	unsigned int head, n;		/* listed messages, a ring */
	struct rq_msg *held[RQT_HELD];
	unsigned int held_id[RQT_HELD];
	unsigned int nheld;
	unsigned int capacity, hwm;
	u64 bytes, enq, deq, flushed;
};

static void rqt_check(struct kunit *test, struct rq_queue *q,
		      struct rqt_model *m, unsigned int step)
{
	struct rq_stats st;

	rq_get_stats(q, &st);
	KUNIT_ASSERT_EQ_MSG(test, q->listed, m->n, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.count, m->n + m->nheld, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.capacity, m->capacity, "step %u", step);
	KUNIT_ASSERT_LE_MSG(test, st.count + q->nspare, st.capacity,
			    "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.bytes, m->bytes, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.enqueued, m->enq, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.dequeued, m->deq, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.flushed, m->flushed, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, st.high_watermark, m->hwm, "step %u", step);
	KUNIT_ASSERT_EQ_MSG(test, rq_head_len(q),
			    m->n ? m->len[m->head] : 0, "step %u", step);
}

static void rqt_step(struct kunit *test, struct rq_queue *q,
		     struct rqt_model *m, struct rnd_state *rnd,
		     unsigned int step)
{
	u32 op = prandom_u32_state(rnd) % 100;
	struct rq_msg *msg;
	unsigned int i, old;
	size_t len, room;

	if (op < 40) {				/* enqueue */
		len = prandom_u32_state(rnd) % 4 ? prandom_u32_state(rnd) % 300 :
		      prandom_u32_state(rnd) % RQT_MAXLEN;
		msg = rqt_msg(test, q, len, step);
		i = rq_enqueue(q, msg);
		if (m->n + m->nheld >= m->capacity) {
			KUNIT_ASSERT_EQ_MSG(test, i, 0, "step %u", step);
			rq_msg_free(msg);
			return;
		}
		KUNIT_ASSERT_EQ_MSG(test, i, m->n + m->nheld + 1, "step %u",
				    step);
		m->id[(m->head + m->n) % RQT_MODEL_CAP] = step;
		m->len[(m->head + m->n) % RQT_MODEL_CAP] = len;
		m->n++;
		m->bytes += len;
		m->enq++;
		m->hwm = max(m->hwm, m->n + m->nheld);
	} else if (op < 80) {			/* take, then release or hold */
		room = prandom_u32_state(rnd) % 8 ? SIZE_MAX :
		       prandom_u32_state(rnd) % 400;
		msg = rq_take(q, room);
		if (!m->n) {
			KUNIT_ASSERT_PTR_EQ(test, msg, ERR_PTR(-EAGAIN));
			return;
		}
		if (m->len[m->head] > room) {
			KUNIT_ASSERT_PTR_EQ(test, msg, ERR_PTR(-EMSGSIZE));
			return;
		}
		KUNIT_ASSERT_FALSE(test, IS_ERR(msg));
		KUNIT_ASSERT_TRUE_MSG(test, rqt_is(msg, m->len[m->head],
						   m->id[m->head]),
				      "step %u: wrong message", step);
		op = prandom_u32_state(rnd) % 8;
		if (op == 0) {			/* the copy "faulted" */
			rq_untake(q, msg);
			return;
		}
		if (op == 1 && m->nheld < RQT_HELD) {
			m->held[m->nheld] = msg;
			m->held_id[m->nheld++] = m->id[m->head];
		} else {
			m->bytes -= msg->len;
			m->deq++;
			KUNIT_ASSERT_EQ(test, rq_release(q, msg, op != 2),
					m->n - 1 + m->nheld);
			if (op == 2)
				rq_msg_free(msg);
		}
		m->head = (m->head + 1) % RQT_MODEL_CAP;
		m->n--;
	} else if (op < 90) {			/* release a held one */
		if (!m->nheld)
			return;
		i = prandom_u32_state(rnd) % m->nheld;
		msg = m->held[i];
		KUNIT_ASSERT_TRUE(test, rqt_is(msg, msg->len, m->held_id[i]));
		m->held[i] = m->held[--m->nheld];
		m->held_id[i] = m->held_id[m->nheld];
		m->bytes -= msg->len;
		m->deq++;
		KUNIT_ASSERT_EQ(test, rq_release(q, msg, true), m->n + m->nheld);
	} else if (op < 95) {			/* flush */
		KUNIT_ASSERT_EQ_MSG(test, rq_flush(q), m->n, "step %u", step);
		KUNIT_ASSERT_EQ(test, q->nspare, 0);
		for (i = 0; i < m->n; i++)
			m->bytes -= m->len[(m->head + i) % RQT_MODEL_CAP];
		m->flushed += m->n;
		m->n = 0;
	} else {				/* resize */
		i = 1 + prandom_u32_state(rnd) % RQT_MODEL_CAP;
		if (i < m->n + m->nheld) {
			KUNIT_ASSERT_EQ(test, rq_resize(q, i, &old), -EBUSY);
			return;
		}
		KUNIT_ASSERT_EQ(test, rq_resize(q, i, &old), 0);
		KUNIT_ASSERT_EQ(test, old, m->capacity);
		m->capacity = i;
	}
}

static void rq_test_model(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rqt_model *m;
	struct rnd_state rnd;
	unsigned int step;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->capacity = RQT_CAP;
	prandom_seed_state(&rnd, 20261121);

	for (step = 1; step <= RQT_STEPS; step++) {
		rqt_step(test, q, m, &rnd, step);
		rqt_check(test, q, m, step);
	}
	while (m->nheld)
		rq_release(q, m->held[--m->nheld], true);
	kunit_info(test, "%u steps, %llu enqueued, %llu dequeued, %llu flushed\n",
		   RQT_STEPS, m->enq, m->deq, m->flushed);
	KUNIT_EXPECT_GT(test, m->deq, RQT_STEPS / 10);
}

/* A blocked reader: it waits, is counted, and one message lets it go. */
struct rqt_waiter {
	struct rq_queue *q;
	struct completion done;
	int ret;
};

static int rqt_wait_thread(void *arg)
{
	struct rqt_waiter *w = arg;

	w->ret = rq_wait_readable(w->q);
	complete(&w->done);
	return 0;
}

static void rq_test_wait_readable(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rqt_waiter *w;
	struct task_struct *t;
	int i;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->q = q;
	w->ret = -1;
	init_completion(&w->done);
	t = kthread_run(rqt_wait_thread, w, "rq_kunit_wait");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));

	for (i = 0; i < 1000 && !atomic_read(&q->waiting_readers); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->waiting_readers), 1);
	/* nothing listed: it must still be waiting */
	KUNIT_EXPECT_FALSE(test, try_wait_for_completion(&w->done));

	rqt_put(test, q, 3, 1);
	/* if it never wakes, a test failure is all we can report */
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&w->done, 30 * HZ));
	KUNIT_EXPECT_EQ(test, w->ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->waiting_readers), 0);
	/* waking does not take the message: that is the reader's job */
	KUNIT_EXPECT_EQ(test, q->listed, 1);
}

static struct rqt_waiter *rqt_start_waiter(struct kunit *test,
					   struct rq_queue *q, int waiting)
{
	struct rqt_waiter *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct task_struct *t;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->q = q;
	w->ret = -1;
	init_completion(&w->done);
	t = kthread_run(rqt_wait_thread, w, "rq_kunit_wait");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (i = 0; i < 1000 && atomic_read(&q->waiting_readers) < waiting; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->waiting_readers), waiting);
	return w;
}

/*
 * The pass-on rule: one message wakes one of two blocked readers; if the
 * one woken leaves it listed, rq_pass_on_read() wakes the other.
 */
static void rq_test_pass_on(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rqt_waiter *a = rqt_start_waiter(test, q, 1);
	struct rqt_waiter *b = rqt_start_waiter(test, q, 2);
	bool woken = true;

	/* exclusive sleepers are woken in the order they slept: a first */
	rqt_put(test, q, 100, 1);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&a->done, 30 * HZ));
	msleep(100);
	KUNIT_EXPECT_FALSE(test, try_wait_for_completion(&b->done));
	KUNIT_EXPECT_EQ(test, atomic_read(&q->waiting_readers), 1);

	/* a leaves without the message: it passes the wake-up on */
	rq_pass_on_read(q, &woken);
	KUNIT_EXPECT_FALSE(test, woken);
	if (!wait_for_completion_timeout(&b->done, 30 * HZ)) {
		KUNIT_FAIL(test, "the second reader was not woken");
		rqt_put(test, q, 1, 2);	/* it must not outlive the queue */
		wait_for_completion(&b->done);
	}
	KUNIT_EXPECT_EQ(test, a->ret, 0);
	KUNIT_EXPECT_EQ(test, b->ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->waiting_readers), 0);
}

/*
 * A batch is linked in, in order, as far as there is room; the rest stay
 * the caller's, and the queue's counters move as for single enqueues.
 */
static void rq_test_batch_enqueue(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msgs[RQT_CAP + 2];
	size_t lens[RQT_CAP + 2];
	unsigned int i, count;

	rqt_put(test, q, 3, 100);
	for (i = 0; i < RQT_CAP + 2; i++)
		lens[i] = 10 + i;
	KUNIT_ASSERT_EQ(test, rq_get_buffers(q, lens, RQT_CAP + 2, msgs,
					     GFP_KERNEL_ACCOUNT), RQT_CAP + 2);
	for (i = 0; i < RQT_CAP + 2; i++) {
		KUNIT_ASSERT_GE(test, msgs[i]->cap, lens[i]);
		memset(msgs[i]->data, 0, lens[i]);
		msgs[i]->data[0] = i;
	}
	/* room for RQT_CAP - 1 of them */
	KUNIT_EXPECT_EQ(test, rq_enqueue_batch(q, msgs, RQT_CAP + 2, &count),
			RQT_CAP - 1);
	KUNIT_EXPECT_EQ(test, count, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->enqueued, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->high_watermark, RQT_CAP);
	KUNIT_EXPECT_EQ(test, rq_enqueue_batch(q, msgs + RQT_CAP - 1, 3, &count), 0);
	KUNIT_EXPECT_EQ(test, q->enqueued, RQT_CAP);

	/* the single message first, then the batch in its order */
	rq_release(q, rqt_take(test, q, SIZE_MAX), true);
	for (i = 0; i < RQT_CAP - 1; i++) {
		struct rq_msg *msg = rqt_take(test, q, SIZE_MAX);

		KUNIT_EXPECT_PTR_EQ(test, msg, msgs[i]);
		KUNIT_EXPECT_EQ(test, msg->len, lens[i]);
		KUNIT_EXPECT_EQ(test, msg->data[0], i);
		rq_release(q, msg, true);
	}
	KUNIT_EXPECT_EQ(test, q->bytes, 0);
	KUNIT_EXPECT_LE(test, q->count + q->nspare, RQT_CAP);
	/* the spares serve the next batch (sizes within their window) */
	rq_free_msgs(msgs + RQT_CAP - 1, 3);
	KUNIT_EXPECT_EQ(test, rq_get_buffers(q, lens, 2, msgs,
					     GFP_KERNEL_ACCOUNT), 2);
	KUNIT_EXPECT_EQ(test, q->nspare, RQT_CAP - 2);
	rq_free_msgs(msgs, 2);
}

/*
 * A batch take stops at an empty queue or a message too long for its
 * room; what could not be copied goes back to the head in order; a batch
 * release frees the slots and keeps spares within the capacity.
 */
static void rq_test_batch_take(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	size_t room[RQT_CAP] = { 100, 100, 5, 100 };
	struct rq_msg *msgs[RQT_CAP];
	unsigned int id;

	KUNIT_EXPECT_EQ(test, rq_take_batch(q, room, RQT_CAP, msgs), -EAGAIN);
	for (id = 0; id < RQT_CAP; id++)
		rqt_put(test, q, 10, id);
	room[0] = 9;
	KUNIT_EXPECT_EQ(test, rq_take_batch(q, room, RQT_CAP, msgs), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP);
	room[0] = 10;
	/* the third's room is too small: two taken */
	KUNIT_EXPECT_EQ(test, rq_take_batch(q, room, RQT_CAP, msgs), 2);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP - 2);
	KUNIT_EXPECT_EQ(test, q->count, RQT_CAP);
	KUNIT_EXPECT_TRUE(test, rqt_is(msgs[0], 10, 0));
	KUNIT_EXPECT_TRUE(test, rqt_is(msgs[1], 10, 1));

	/* both back, ahead of the others, in their order */
	rq_untake_batch(q, msgs, 2);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP);
	room[2] = 100;
	KUNIT_EXPECT_EQ(test, rq_take_batch(q, room, RQT_CAP, msgs), RQT_CAP);
	for (id = 0; id < RQT_CAP; id++)
		KUNIT_EXPECT_TRUE_MSG(test, rqt_is(msgs[id], 10, id),
				      "message %u out of order", id);
	KUNIT_EXPECT_EQ(test, rq_release_batch(q, msgs, RQT_CAP), 0);
	KUNIT_EXPECT_EQ(test, q->count, 0);
	KUNIT_EXPECT_EQ(test, q->dequeued, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->bytes, 0);
	KUNIT_EXPECT_LE(test, q->nspare, RQT_CAP);
}

/*
 * Reserved slots count as used until filled (in the high watermark too):
 * a reservation takes no more than is free, another writer finds the
 * queue full meanwhile, and
 * rq_enqueue_reserved() links what was built in order and gives back
 * the rest; spares left beyond the capacity meanwhile are trimmed then.
 */
static void rq_test_reserve(struct kunit *test)
{
	struct rq_queue *q = test->priv;
	struct rq_msg *msgs[RQT_CAP], *msg;
	size_t lens[2] = { 10, 10 };
	unsigned int i;

	/* a reader took and gave back two: two spares, the queue empty */
	rqt_put(test, q, 10, 0);
	rqt_put(test, q, 10, 1);
	rq_release(q, rqt_take(test, q, SIZE_MAX), true);
	rq_release(q, rqt_take(test, q, SIZE_MAX), true);
	KUNIT_EXPECT_EQ(test, q->count, 0);
	KUNIT_EXPECT_EQ(test, q->nspare, 2);

	KUNIT_EXPECT_EQ(test, rq_reserve(q, 3), 3);
	KUNIT_EXPECT_EQ(test, rq_reserve(q, 3), 1);
	KUNIT_EXPECT_EQ(test, rq_reserve(q, 1), 0);
	KUNIT_EXPECT_EQ(test, q->count, RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->high_watermark, RQT_CAP);
	KUNIT_EXPECT_FALSE(test, rq_has_room(q));
	msg = rq_get_buffer(q, 10, GFP_KERNEL_ACCOUNT);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, rq_enqueue(q, msg), 0);	/* full meanwhile */
	rq_msg_free(msg);

	/* the reservation of 3: two filled, one given back */
	KUNIT_ASSERT_EQ(test, rq_get_buffers(q, lens, 2, msgs,
					     GFP_KERNEL_ACCOUNT), 2);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	msgs[0]->data[0] = 100;
	msgs[1]->data[0] = 101;
	KUNIT_EXPECT_EQ(test, rq_enqueue_reserved(q, msgs, 2, 3), RQT_CAP - 1);
	KUNIT_EXPECT_EQ(test, q->listed, 2);
	KUNIT_EXPECT_EQ(test, q->enqueued, 4);
	/* the reservation of 1, given back unfilled */
	KUNIT_EXPECT_EQ(test, rq_enqueue_reserved(q, msgs, 0, 1), 2);
	KUNIT_EXPECT_TRUE(test, rq_has_room(q));
	msg = rqt_take(test, q, SIZE_MAX);
	KUNIT_EXPECT_EQ(test, msg->data[0], 100);
	rq_release(q, msg, true);
	msg = rqt_take(test, q, SIZE_MAX);
	KUNIT_EXPECT_EQ(test, msg->data[0], 101);
	rq_release(q, msg, true);
	KUNIT_EXPECT_EQ(test, q->count, 0);
	KUNIT_EXPECT_EQ(test, q->bytes, 0);
	KUNIT_EXPECT_EQ(test, q->nspare, 2);

	/* filled with new buffers: the spares beyond the capacity go */
	KUNIT_EXPECT_EQ(test, rq_reserve(q, RQT_CAP), RQT_CAP);
	for (i = 0; i < RQT_CAP; i++) {
		msgs[i] = rq_msg_alloc(10, GFP_KERNEL_ACCOUNT);
		KUNIT_ASSERT_NOT_NULL(test, msgs[i]);
	}
	KUNIT_EXPECT_EQ(test, rq_enqueue_reserved(q, msgs, RQT_CAP, RQT_CAP),
			RQT_CAP);
	KUNIT_EXPECT_EQ(test, q->nspare, 0);
	KUNIT_EXPECT_EQ(test, q->listed, RQT_CAP);
}

static struct kunit_case rq_test_cases[] = {
	KUNIT_CASE(rq_test_alloc_layout),
	KUNIT_CASE(rq_test_fifo_order),
	KUNIT_CASE(rq_test_full),
	KUNIT_CASE(rq_test_take_errors),
	KUNIT_CASE(rq_test_take_holds_slot),
	KUNIT_CASE(rq_test_untake),
	KUNIT_CASE(rq_test_recycle),
	KUNIT_CASE(rq_test_recycle_full),
	KUNIT_CASE(rq_test_spares_bounded),
	KUNIT_CASE(rq_test_flush),
	KUNIT_CASE(rq_test_resize),
	KUNIT_CASE(rq_test_stats),
	KUNIT_CASE(rq_test_model),
	KUNIT_CASE(rq_test_wait_readable),
	KUNIT_CASE(rq_test_pass_on),
	KUNIT_CASE(rq_test_batch_enqueue),
	KUNIT_CASE(rq_test_batch_take),
	KUNIT_CASE(rq_test_reserve),
	{}
};

static struct kunit_suite rq_test_suite = {
	.name = "rustqueue_queue",
	.init = rqt_init,
	.exit = rqt_exit,
	.test_cases = rq_test_cases,
};

kunit_test_suite(rq_test_suite);

MODULE_DESCRIPTION("KUnit tests for rustqueue's message queue");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
