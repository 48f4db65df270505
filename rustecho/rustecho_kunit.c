// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for rustecho's state file (state.c, compiled into this test
 * module: nothing is exported from rustecho.ko for it): the codec, on a
 * state file in memory, and the rules a file must meet to be restored.
 * Built only against a kernel with KUnit (see Kbuild); tests/kunit runs
 * it in the debug guest and reports each case as a TAP line.
 */
#include "state.c"	/* first: its pr_fmt */

#include <kunit/test.h>
#include <linux/stat.h>

#define RET_HDR	sizeof(struct rustecho_state_hdr)

/* a state file in memory: a sink that fills IMG, or a source reading it */
struct ret_mem {
	struct re_io io;
	u8 img[4096];
	size_t pos, len;
	int fail_at;		/* the xfer call (1, 2, ...) that fails, or 0 */
	int calls;
};

static int ret_mem_write(struct re_io *io, void *buf, size_t len)
{
	struct ret_mem *m = container_of(io, struct ret_mem, io);

	if (++m->calls == m->fail_at)
		return -ENOSPC;
	if (len > sizeof(m->img) - m->pos)
		return -EFBIG;
	memcpy(m->img + m->pos, buf, len);
	m->pos += len;
	m->len = m->pos;
	return 0;
}

static int ret_mem_read(struct re_io *io, void *buf, size_t len)
{
	struct ret_mem *m = container_of(io, struct ret_mem, io);

	if (++m->calls == m->fail_at)
		return -EIO;
	if (len > m->io.size - m->pos)
		return -ENODATA;
	memcpy(buf, m->img + m->pos, len);
	m->pos += len;
	return 0;
}

static struct re_buf *ret_buf(struct kunit *test, const char *s, size_t len)
{
	struct re_buf *buf = re_buf_alloc(len);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf->data, s, len);
	return buf;
}

/* Encode BUFS into M (a fresh sink). */
static void ret_encode(struct kunit *test, struct ret_mem *m,
		       struct re_buf *const *bufs, unsigned int count)
{
	memset(m, 0, sizeof(*m));
	m->io.xfer = ret_mem_write;
	KUNIT_ASSERT_EQ(test, re_state_encode(&m->io, bufs, count), 0);
}

/* Decode the first LEN bytes of M's image as COUNT buffers. */
static int ret_decode(struct ret_mem *m, size_t len, unsigned int count,
		      size_t max_size, struct re_buf **bufs, char *why)
{
	m->io.xfer = ret_mem_read;
	m->io.size = len;
	m->pos = 0;
	m->calls = 0;
	why[0] = '\0';
	return re_state_decode(&m->io, count, max_size, bufs, why);
}

/* the image of instances=2, "hi\n" and an empty buffer */
static void ret_small(struct kunit *test, struct ret_mem *m)
{
	struct re_buf *bufs[2] = { ret_buf(test, "hi\n", 3), NULL };

	ret_encode(test, m, bufs, 2);
	re_buf_put(bufs[0]);
	KUNIT_ASSERT_EQ(test, m->len, RET_HDR + 8 + 3 + 8);
}

/* recompute the CRC of an image of LEN bytes after changing it */
static void ret_fix_crc(u8 *img, size_t len)
{
	struct rustecho_state_hdr *h = (void *)img;

	h->crc = 0;
	h->crc = cpu_to_le32(~crc32_le(~0U, img, len));
}

/* decoding M's image (LEN bytes, COUNT, MAX_SIZE) is refused with WANT */
static void ret_refused(struct kunit *test, struct ret_mem *m, size_t len,
			unsigned int count, size_t max_size, const char *want)
{
	struct re_buf *bufs[4] = { (void *)1, (void *)1, (void *)1, (void *)1 };
	char why[RE_WHY_LEN];
	unsigned int i;

	KUNIT_EXPECT_EQ(test, ret_decode(m, len, count, max_size, bufs, why),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, why, want);
	for (i = 0; i < count; i++)
		KUNIT_EXPECT_NULL(test, bufs[i]);
}

static void re_state_round_trip(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct re_buf *in[3], *out[3];
	char why[RE_WHY_LEN], big[1000];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	in[0] = ret_buf(test, "alpha\n", 6);
	in[1] = NULL;
	in[2] = ret_buf(test, big, sizeof(big));
	ret_encode(test, m, in, 3);
	KUNIT_EXPECT_EQ(test, m->len, RET_HDR + 3 * 8 + 6 + sizeof(big));
	KUNIT_ASSERT_EQ(test, ret_decode(m, m->len, 3, sizeof(big), out, why),
			0);
	KUNIT_ASSERT_NOT_NULL(test, out[0]);
	KUNIT_EXPECT_EQ(test, out[0]->len, 6);
	KUNIT_EXPECT_MEMEQ(test, out[0]->data, "alpha\n", 6);
	KUNIT_EXPECT_NULL(test, out[1]);
	KUNIT_ASSERT_NOT_NULL(test, out[2]);
	KUNIT_EXPECT_EQ(test, out[2]->len, sizeof(big));
	KUNIT_EXPECT_MEMEQ(test, out[2]->data, big, sizeof(big));
	for (i = 0; i < 3; i++) {
		re_buf_put(in[i]);
		re_buf_put(out[i]);
	}
}

/* The format, byte for byte, and zlib's CRC-32 of it. */
static void re_state_format(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct rustecho_state_hdr *h;
	static const u8 tail[] = {
		3, 0, 0, 0, 0, 0, 0, 0, 'h', 'i', '\n', 0, 0, 0, 0, 0, 0, 0, 0
	};

	KUNIT_ASSERT_NOT_NULL(test, m);
	ret_small(test, m);
	h = (void *)m->img;
	KUNIT_EXPECT_MEMEQ(test, h->magic, "RUSTECHO", 8);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(h->version), 1);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(h->count), 2);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(h->payload), 19);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(h->reserved), 0);
	/* zlib.crc32() of the same bytes with the field 0 */
	KUNIT_EXPECT_EQ(test, le32_to_cpu(h->crc), 0x99ddfedf);
	KUNIT_EXPECT_MEMEQ(test, m->img + RET_HDR, tail, sizeof(tail));
}

/* A save cut short anywhere is refused, and leaves no buffer. */
static void re_state_every_truncation(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct re_buf *bufs[2];
	char why[RE_WHY_LEN];
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, m);
	ret_small(test, m);
	ret_refused(test, m, 0, 2, 16,
		    "truncated: 0 bytes, shorter than the header");
	ret_refused(test, m, RET_HDR - 1, 2, 16,
		    "truncated: 31 bytes, shorter than the header");
	ret_refused(test, m, m->len - 1, 2, 16,
		    "truncated: 50 bytes, the header says 51");
	for (len = 0; len < m->len; len++) {
		bufs[0] = (void *)1;
		bufs[1] = (void *)1;
		KUNIT_EXPECT_EQ(test, ret_decode(m, len, 2, 16, bufs, why),
				-EINVAL);
		KUNIT_EXPECT_NULL(test, bufs[0]);
		KUNIT_EXPECT_NULL(test, bufs[1]);
	}
}

static void re_state_corrupt(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u8 *good = kunit_kzalloc(test, 64, GFP_KERNEL);
	size_t n;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, good);
	ret_small(test, m);
	n = m->len;
	memcpy(good, m->img, n);

	m->img[0] = 'X';
	ret_refused(test, m, n, 2, 16, "not a rustecho state file (bad magic)");
	memcpy(m->img, good, n);
	m->img[8] = 2;
	ret_refused(test, m, n, 2, 16,
		    "unsupported version 2 (this module reads 1)");
	memcpy(m->img, good, n);
	m->img[RET_HDR + 8 + 1] ^= 0x20;		/* "hi\n" -> "hI\n" */
	ret_refused(test, m, n, 2, 16, "corrupt: checksum mismatch");
	memcpy(m->img, good, n);
	m->img[offsetof(struct rustecho_state_hdr, crc)] ^= 1;
	ret_refused(test, m, n, 2, 16, "corrupt: checksum mismatch");
	memcpy(m->img, good, n);
	m->img[offsetof(struct rustecho_state_hdr, reserved)] = 1;
	ret_refused(test, m, n, 2, 16, "corrupt: checksum mismatch");
	memcpy(m->img, good, n);
	m->img[n] = 0;
	ret_refused(test, m, n + 1, 2, 16,
		    "corrupt: 52 bytes, the header says 51");

	/* well-formed (a valid CRC) but inconsistent inside */
	memcpy(m->img, good, n);
	m->img[RET_HDR] = 20;			/* record 0 claims 20 bytes */
	ret_fix_crc(m->img, n);
	ret_refused(test, m, n, 2, 32, "corrupt: record 0 runs past the end");
	memcpy(m->img, good, n);
	m->img[RET_HDR] = 1;			/* "h", then 8 bytes "i\n..." */
	ret_fix_crc(m->img, n);
	/* record 1 then claims 2665 bytes: within a max_size of 1 MiB */
	ret_refused(test, m, n, 2, 1 << 20,
		    "corrupt: record 1 runs past the end");
	memcpy(m->img, good, n);
	memcpy(m->img + n, "zz", 2);		/* 2 more payload bytes */
	m->img[16] += 2;
	ret_fix_crc(m->img, n + 2);
	ret_refused(test, m, n + 2, 2, 16,
		    "corrupt: 2 bytes after the last record");

	/* sound, but not for this load */
	memcpy(m->img, good, n);
	ret_refused(test, m, n, 1, 16, "holds 2 buffers, but instances=1");
	ret_refused(test, m, n, 2, 2,
		    "buffer 0 holds 3 bytes, more than max_size=2");
}

/* Exactly at capacity is accepted. */
static void re_state_at_capacity(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct re_buf *bufs[2];
	char why[RE_WHY_LEN];

	KUNIT_ASSERT_NOT_NULL(test, m);
	ret_small(test, m);
	KUNIT_ASSERT_EQ(test, ret_decode(m, m->len, 2, 3, bufs, why), 0);
	KUNIT_ASSERT_NOT_NULL(test, bufs[0]);
	KUNIT_EXPECT_MEMEQ(test, bufs[0]->data, "hi\n", 3);
	KUNIT_EXPECT_NULL(test, bufs[1]);
	re_buf_put(bufs[0]);
}

/* A read error at any step: -EIO, said so, no buffer. */
static void re_state_read_errors(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct re_buf *bufs[2];
	char why[RE_WHY_LEN];
	int step;

	KUNIT_ASSERT_NOT_NULL(test, m);
	ret_small(test, m);
	/* the reads: header, record 0, its bytes, record 1 */
	for (step = 1; step <= 4; step++) {
		m->fail_at = step;
		bufs[0] = (void *)1;
		bufs[1] = (void *)1;
		KUNIT_EXPECT_EQ(test, ret_decode(m, m->len, 2, 16, bufs, why),
				-EIO);
		KUNIT_EXPECT_STREQ(test, why, "cannot read it (error -5)");
		KUNIT_EXPECT_NULL(test, bufs[0]);
		KUNIT_EXPECT_NULL(test, bufs[1]);
	}
}

/* A sink error at any step is the encoder's result. */
static void re_state_write_errors(struct kunit *test)
{
	struct ret_mem *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct re_buf *bufs[2] = { ret_buf(test, "hi\n", 3), NULL };
	int step;

	KUNIT_ASSERT_NOT_NULL(test, m);
	/* the writes: header, record 0, its bytes, record 1 */
	for (step = 1; step <= 4; step++) {
		memset(m, 0, sizeof(*m));
		m->io.xfer = ret_mem_write;
		m->fail_at = step;
		KUNIT_EXPECT_EQ(test, re_state_encode(&m->io, bufs, 2),
				-ENOSPC);
	}
	re_buf_put(bufs[0]);
}

/* Which files may be restored. */
static void re_state_file_rules(struct kunit *test)
{
	static const struct {
		umode_t mode;
		unsigned int uid, nlink;
		const char *why;	/* NULL: accepted */
	} cases[] = {
		{ S_IFREG | 0600, 0, 1, NULL },
		{ S_IFREG | 0644, 0, 1, NULL },
		{ S_IFREG | 0400, 0, 1, NULL },
		{ S_IFLNK | 0777, 0, 1, "a symbolic link, not followed" },
		{ S_IFIFO | 0600, 0, 1, "not a regular file" },
		{ S_IFCHR | 0600, 0, 1, "not a regular file" },
		{ S_IFBLK | 0600, 0, 1, "not a regular file" },
		{ S_IFSOCK | 0600, 0, 1, "not a regular file" },
		{ S_IFDIR | 0700, 0, 2, "not a regular file" },
		{ S_IFREG | 0600, 1000, 1,
		  "owned by uid 1000, not by uid 0 (who loads the module)" },
		{ S_IFREG | 0600, 0, 2, "has 2 links, not 1" },
		{ S_IFREG | 0600, 0, 0, "has 0 links, not 1" },
		{ S_IFREG | 0620, 0, 1,
		  "writable by others than its owner (mode 0620)" },
		{ S_IFREG | 0602, 0, 1,
		  "writable by others than its owner (mode 0602)" },
		{ S_IFREG | 0666, 0, 1,
		  "writable by others than its owner (mode 0666)" },
	};
	char why[RE_WHY_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool refused;

		why[0] = '\0';
		refused = re_state_file_refused(cases[i].mode,
						KUIDT_INIT(cases[i].uid),
						cases[i].nlink,
						GLOBAL_ROOT_UID, why);
		KUNIT_EXPECT_EQ_MSG(test, refused, !!cases[i].why, "case %u", i);
		if (cases[i].why)
			KUNIT_EXPECT_STREQ_MSG(test, why, cases[i].why,
					       "case %u", i);
	}
	/* a user who loads the module restores its own files only */
	KUNIT_EXPECT_FALSE(test, re_state_file_refused(S_IFREG | 0600,
						       KUIDT_INIT(1000), 1,
						       KUIDT_INIT(1000), why));
}

/* A buffer lives as long as its last reference. */
static void re_state_buf_refs(struct kunit *test)
{
	struct re_buf *buf = ret_buf(test, "x", 1);

	KUNIT_EXPECT_PTR_EQ(test, re_buf_get(buf), buf);
	KUNIT_EXPECT_EQ(test, kref_read(&buf->ref), 2);
	re_buf_put(buf);
	KUNIT_EXPECT_EQ(test, kref_read(&buf->ref), 1);
	KUNIT_EXPECT_EQ(test, re_buf_len(buf), 1);
	re_buf_put(buf);
	KUNIT_EXPECT_NULL(test, re_buf_get(NULL));
	KUNIT_EXPECT_EQ(test, re_buf_len(NULL), 0);
	re_buf_put(NULL);
}

static struct kunit_case re_state_cases[] = {
	KUNIT_CASE(re_state_round_trip),
	KUNIT_CASE(re_state_format),
	KUNIT_CASE(re_state_every_truncation),
	KUNIT_CASE(re_state_corrupt),
	KUNIT_CASE(re_state_at_capacity),
	KUNIT_CASE(re_state_read_errors),
	KUNIT_CASE(re_state_write_errors),
	KUNIT_CASE(re_state_file_rules),
	KUNIT_CASE(re_state_buf_refs),
	{}
};

static struct kunit_suite re_state_suite = {
	.name = "rustecho_state",
	.test_cases = re_state_cases,
};

kunit_test_suite(re_state_suite);

MODULE_DESCRIPTION("KUnit tests of rustecho's state file");
MODULE_LICENSE("GPL");
