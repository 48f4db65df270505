// SPDX-License-Identifier: GPL-2.0
/*
 * rust_proc_ram_file_kunit - KUnit tests of rust_proc_ram_file's page store
 *
 * The suite rpf_store drives the store's operations (store.c, compiled
 * into this module: the production module exports nothing) directly, with
 * white-box checks the /proc tests cannot make: the exact page count, which
 * pages exist, and the bytes of a page past the end of the file.
 *
 * Writes take a user pointer, so each case that writes gets a user address
 * space from KUnit (kunit_vm_mmap(): a fresh mm for the case's thread), and
 * copy_to_user()s its data there first.  A buffer that faults part way is a
 * mapping whose next page was unmapped again or replaced by a PROT_NONE
 * mapping.  Reads go to a kernel buffer through a kvec iov_iter, or to a
 * user mapping through a ubuf one.
 *
 * Each case has a store of its own (the suite's init and exit), and takes
 * st->lock as proc.c does: the store asserts it with lockdep.
 *
 * Built only against a kernel with KUnit (our debug kernel): Kbuild.
 *   insmod rust_proc_ram_file_kunit.ko
 *   cat /sys/kernel/debug/kunit/rpf_store/results
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

/* the unit under test, with its static helpers, if it ever has any */
#include "store.c"

#define PG	((size_t)PAGE_SIZE)

/* ---- helpers ----------------------------------------------------------- */

/* what a case works on: its store, and user memory to write from */
struct rpf_test {
	struct rpf_store st;
	char __user *scratch;		/* SCRATCH_PAGES pages */
};

#define SCRATCH_PAGES	4

static struct rpf_store *store(struct kunit *test)
{
	return &((struct rpf_test *)test->priv)->st;
}

/* LEN bytes that depend on SEED, and hardly ever are zero in a row. */
static void pattern(u8 *buf, size_t len, u64 seed)
{
	struct rnd_state rs;

	prandom_seed_state(&rs, seed);
	prandom_bytes_state(&rs, buf, len);
}

static u8 *kbuf(struct kunit *test, size_t len)
{
	u8 *p = kunit_kzalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

/* A pattern of LEN bytes from SEED in a test-managed buffer. */
static u8 *kpattern(struct kunit *test, size_t len, u64 seed)
{
	u8 *p = kbuf(test, len);

	pattern(p, len, seed);
	return p;
}

/* Where A and B first differ, or LEN. */
static size_t first_diff(const u8 *a, const u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			break;
	return i;
}

/* GOT is WANT, LEN bytes; else say where they first differ */
static void expect_bytes(struct kunit *test, const u8 *got, const u8 *want,
			 size_t len, const char *what)
{
	KUNIT_EXPECT_EQ_MSG(test, first_diff(got, want, len), len,
			    "%s: first wrong byte (of %zu)", what, len);
}

static bool all_zero(const u8 *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* A user mapping of NR pages, readable and writable, zero-filled. */
static char __user *user_pages(struct kunit *test, size_t nr)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, nr * PG, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_TRUE_MSG(test, addr && !IS_ERR_VALUE(addr),
			      "kunit_vm_mmap: %ld", (long)addr);
	return (char __user *)addr;
}

static void to_user(struct kunit *test, char __user *dst, const void *src,
		    size_t len)
{
	KUNIT_ASSERT_EQ_MSG(test, copy_to_user(dst, src, len), 0UL,
			    "copy_to_user of the test data");
}

/*
 * Runs in the case's thread, so the mapping is the case's.  Made here,
 * before the case makes any page fault on purpose: a mapping made later
 * could land in a page a case unmapped.
 */
static int rpf_test_init(struct kunit *test)
{
	struct rpf_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	rpf_store_init(&t->st);
	test->priv = t;
	t->scratch = user_pages(test, SCRATCH_PAGES);
	return 0;
}

/* Runs also when a case failed an assertion: no page is left behind. */
static void rpf_test_exit(struct kunit *test)
{
	struct rpf_test *t = test->priv;

	if (!t)			/* init failed */
		return;
	down_write(&t->st.lock);
	rpf_store_free_all(&t->st);
	up_write(&t->st.lock);
}

/* The test's own precondition: reading UADDR faults. */
static void assert_faults(struct kunit *test, const char __user *uaddr)
{
	char c;

	KUNIT_ASSERT_NE_MSG(test, copy_from_user(&c, uaddr, 1), 0UL,
			    "test setup: the buffer should fault there");
}

enum fault_kind { FAULT_UNMAPPED, FAULT_PROT_NONE };
static const char *const fault_name[] = { "unmapped", "PROT_NONE" };

/*
 * Two user pages, the first holding SRC (a page), the second faulting:
 * unmapped (as a mapping shorter than the write) or mapped PROT_NONE.
 * Returns the first page.
 */
static char __user *faulting_pages(struct kunit *test, enum fault_kind kind,
				   const u8 *src)
{
	char __user *u = user_pages(test, 2);
	unsigned long second = (unsigned long)u + PG, addr;

	to_user(test, u, src, PG);
	if (kind == FAULT_UNMAPPED) {
		KUNIT_ASSERT_EQ(test, vm_munmap(second, PG), 0);
	} else {
		addr = kunit_vm_mmap(test, NULL, second, PG, PROT_NONE,
				     MAP_FIXED | MAP_ANONYMOUS | MAP_PRIVATE, 0);
		KUNIT_ASSERT_EQ(test, addr, second);
	}
	assert_faults(test, u + PG);
	return u;
}

/* rpf_store_write() as proc.c calls it: access_ok(), the lock held. */
static ssize_t st_write_user(struct kunit *test, const char __user *ubuf,
			     size_t len, loff_t pos)
{
	struct rpf_store *st = store(test);
	ssize_t ret;

	KUNIT_ASSERT_TRUE(test, access_ok(ubuf, len));
	down_write(&st->lock);
	ret = rpf_store_write(st, ubuf, len, pos);
	up_write(&st->lock);
	return ret;
}

/* Write LEN bytes of SRC at POS, by way of the scratch mapping. */
static ssize_t st_write(struct kunit *test, loff_t pos, const void *src,
			size_t len)
{
	char __user *u = ((struct rpf_test *)test->priv)->scratch;

	KUNIT_ASSERT_LE(test, len, SCRATCH_PAGES * PG);
	to_user(test, u, src, len);
	return st_write_user(test, u, len, pos);
}

/* Read up to LEN bytes at POS into BUF through a kvec iov_iter. */
static ssize_t st_read(struct kunit *test, loff_t pos, void *buf, size_t len)
{
	struct rpf_store *st = store(test);
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter it;
	ssize_t ret;

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	down_read(&st->lock);
	ret = rpf_store_read(st, pos, &it);
	up_read(&st->lock);
	/* the iterator advanced by exactly what was returned */
	KUNIT_EXPECT_EQ(test, iov_iter_count(&it), len - (ret > 0 ? ret : 0));
	return ret;
}

static loff_t st_seek(struct kunit *test, loff_t off, int whence)
{
	struct rpf_store *st = store(test);
	loff_t ret;

	down_read(&st->lock);
	ret = rpf_store_seek_data_hole(st, off, whence);
	up_read(&st->lock);
	return ret;
}

static unsigned long st_free_all(struct kunit *test)
{
	struct rpf_store *st = store(test);
	unsigned long n;

	down_write(&st->lock);
	n = rpf_store_free_all(st);
	up_write(&st->lock);
	return n;
}

static loff_t st_size(struct kunit *test)
{
	return store(test)->size;
}

/* nr_pages is N, and so is what the xarray really holds. */
static void expect_pages(struct kunit *test, unsigned long n)
{
	struct rpf_store *st = store(test);
	unsigned long idx, held = 0;
	struct page *page;

	xa_for_each(&st->pages, idx, page)
		held++;
	KUNIT_EXPECT_EQ_MSG(test, st->nr_pages, n, "nr_pages");
	KUNIT_EXPECT_EQ_MSG(test, held, n, "pages in the xarray");
}

static bool has_page(struct kunit *test, pgoff_t idx)
{
	return xa_load(&store(test)->pages, idx);
}

/*
 * Copy the bytes of page IDX from OFF on, as they are, also past the end
 * of the file.  The page must exist.
 */
static void page_bytes(struct kunit *test, pgoff_t idx, size_t off,
		       void *out, size_t len)
{
	struct page *page = xa_load(&store(test)->pages, idx);

	KUNIT_ASSERT_NOT_NULL_MSG(test, page, "page %lu", idx);
	memcpy_from_page(out, page, off, len);
}

/*
 * Allocate and free a few pages full of 0xa5 bytes, so that the pages the
 * store allocates next are likely to be those (the per-CPU free lists are
 * LIFO): a page the store forgets to clear then shows.
 */
static void stale_pages(void)
{
	struct page *pages[8];
	int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (pages[i])
			memset_page(pages[i], 0, 0xa5, PAGE_SIZE);
	}
	for (i = ARRAY_SIZE(pages) - 1; i >= 0; i--)
		if (pages[i])
			__free_page(pages[i]);
}

/* ---- cases ------------------------------------------------------------- */

static void store_test_empty(struct kunit *test)
{
	u8 buf[16];

	KUNIT_EXPECT_EQ(test, st_size(test), 0);
	expect_pages(test, 0);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, st_read(test, 100, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, st_seek(test, 0, SEEK_DATA), -ENXIO);
	KUNIT_EXPECT_EQ(test, st_seek(test, 0, SEEK_HOLE), -ENXIO);
	KUNIT_EXPECT_EQ(test, st_free_all(test), 0UL);
}

/* 100 bytes at 0: read back, reads clamped at the size, zeros after. */
static void store_test_round_trip(struct kunit *test)
{
	u8 *src = kpattern(test, 100, 1), *got = kbuf(test, PG);

	stale_pages();
	KUNIT_ASSERT_EQ(test, st_write(test, 0, src, 100), 100);
	KUNIT_EXPECT_EQ(test, st_size(test), 100);
	expect_pages(test, 1);

	KUNIT_EXPECT_EQ(test, st_read(test, 0, got, 100), 100);
	expect_bytes(test, got, src, 100, "read at 0");
	memset(got, 0, PG);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, got, 200), 100);
	expect_bytes(test, got, src, 100, "read of 200 at 0");
	KUNIT_EXPECT_EQ(test, st_read(test, 37, got, 10), 10);
	expect_bytes(test, got, src + 37, 10, "read of 10 at 37");
	KUNIT_EXPECT_EQ(test, st_read(test, 90, got, 50), 10);
	expect_bytes(test, got, src + 90, 10, "read of 50 at 90");
	KUNIT_EXPECT_EQ(test, st_read(test, 100, got, 50), 0);
	KUNIT_EXPECT_EQ(test, st_read(test, 4 * PG, got, 50), 0);

	/* the rest of the page, past the end of the file: zeros */
	page_bytes(test, 0, 100, got, PG - 100);
	KUNIT_EXPECT_TRUE(test, all_zero(got, PG - 100));
}

/* Nothing to do: nothing done, not even the size moves. */
static void store_test_zero_length(struct kunit *test)
{
	u8 *src = kpattern(test, 10, 2);
	char __user *u = user_pages(test, 1);
	u8 buf[4];

	KUNIT_EXPECT_EQ(test, st_write_user(test, u, 0, 5 * PG), 0);
	KUNIT_EXPECT_EQ(test, st_size(test), 0);
	expect_pages(test, 0);

	KUNIT_ASSERT_EQ(test, st_write(test, 0, src, 10), 10);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, st_write_user(test, u, 0, 3 * PG), 0);
	KUNIT_EXPECT_EQ(test, st_size(test), 10);
	expect_pages(test, 1);
}

/* 300 bytes across the first page boundary: two pages, zeros before. */
static void store_test_unaligned_span(struct kunit *test)
{
	size_t len = 300, at = PG - 100;
	u8 *src = kpattern(test, len, 3), *got = kbuf(test, 2 * PG);

	stale_pages();
	KUNIT_ASSERT_EQ(test, st_write(test, at, src, len), (ssize_t)len);
	KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)(at + len));
	expect_pages(test, 2);
	KUNIT_EXPECT_TRUE(test, has_page(test, 0));
	KUNIT_EXPECT_TRUE(test, has_page(test, 1));

	KUNIT_EXPECT_EQ(test, st_read(test, 0, got, 2 * PG), (ssize_t)(at + len));
	KUNIT_EXPECT_TRUE_MSG(test, all_zero(got, at), "bytes before the write");
	expect_bytes(test, got + at, src, len, "the write");
	/* a read that starts in one page and ends in the other */
	KUNIT_EXPECT_EQ(test, st_read(test, PG - 1, got, 2), 2);
	expect_bytes(test, got, src + 99, 2, "2 bytes across the boundary");

	page_bytes(test, 1, 200, got, PG - 200);
	KUNIT_EXPECT_TRUE_MSG(test, all_zero(got, PG - 200),
			      "page 1 past the end of the file");
}

/* A long write from a user buffer at an odd address, to an odd offset. */
static void store_test_long_unaligned(struct kunit *test)
{
	size_t len = 3 * PG + 17, uoff = 123;
	loff_t at = 5;
	u8 *src = kpattern(test, len, 4), *got = kbuf(test, 5 * PG);
	char __user *u = user_pages(test, 5);

	to_user(test, u + uoff, src, len);
	KUNIT_ASSERT_EQ(test, st_write_user(test, u + uoff, len, at),
			(ssize_t)len);
	KUNIT_EXPECT_EQ(test, st_size(test), at + (loff_t)len);
	expect_pages(test, 4);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, got, 5 * PG), at + (ssize_t)len);
	KUNIT_EXPECT_TRUE(test, all_zero(got, at));
	expect_bytes(test, got + at, src, len, "the write");
}

/* Far out: one page, holes before it read as zeros and cost nothing. */
static void store_test_sparse(struct kunit *test)
{
	loff_t far = (1LL << 30) + 5;
	u8 *src = kpattern(test, 10, 5), *got = kbuf(test, 2 * PG);

	KUNIT_ASSERT_EQ(test, st_write(test, far, src, 10), 10);
	KUNIT_EXPECT_EQ(test, st_size(test), far + 10);
	expect_pages(test, 1);
	KUNIT_EXPECT_TRUE(test, has_page(test, far >> PAGE_SHIFT));

	memset(got, 0x5a, 2 * PG);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, got, 2 * PG), (ssize_t)(2 * PG));
	KUNIT_EXPECT_TRUE_MSG(test, all_zero(got, 2 * PG), "the hole at 0");
	memset(got, 0x5a, 2 * PG);
	KUNIT_EXPECT_EQ(test, st_read(test, far - PG - 3, got, 2 * PG),
			(ssize_t)(PG + 13));
	KUNIT_EXPECT_TRUE_MSG(test, all_zero(got, PG + 3), "the hole before");
	expect_bytes(test, got + PG + 3, src, 10, "the data");

	/* a second one in between: still only the pages written */
	KUNIT_ASSERT_EQ(test, st_write(test, 4 * PG, src, 1), 1);
	KUNIT_EXPECT_EQ(test, st_size(test), far + 10);
	expect_pages(test, 2);
	KUNIT_EXPECT_FALSE(test, has_page(test, 3));
	KUNIT_EXPECT_FALSE(test, has_page(test, 5));
}

/*
 * Writes within existing pages allocate nothing and change only what
 * they cover.
 */
static void store_test_overwrite(struct kunit *test)
{
	size_t len = PG + 50;
	u8 *want = kpattern(test, len + 10, 6), *src = kpattern(test, 200, 7);
	u8 *got = kbuf(test, 2 * PG);
	struct rpf_store *st = store(test);
	struct page *p0, *p1;

	KUNIT_ASSERT_EQ(test, st_write(test, 0, want, len), (ssize_t)len);
	expect_pages(test, 2);
	p0 = xa_load(&st->pages, 0);
	p1 = xa_load(&st->pages, 1);

	KUNIT_EXPECT_EQ(test, st_write(test, 200, src, 100), 100);
	memcpy(want + 200, src, 100);
	KUNIT_EXPECT_EQ(test, st_write(test, PG - 1, src + 100, 12), 12);
	memcpy(want + PG - 1, src + 100, 12);
	KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)len);
	/* and one that grows the file within its last page */
	KUNIT_EXPECT_EQ(test, st_write(test, len - 5, src + 150, 15), 15);
	memcpy(want + len - 5, src + 150, 15);
	len += 10;
	KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)len);

	expect_pages(test, 2);
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&st->pages, 0), p0);
	KUNIT_EXPECT_PTR_EQ(test, xa_load(&st->pages, 1), p1);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, got, 2 * PG), (ssize_t)len);
	expect_bytes(test, got, want, len, "after the overwrites");
}

/*
 * SEEK_DATA and SEEK_HOLE over pages D H D D H H D, the last one partly:
 *   0     1     2     3     4     5     6
 *   data  hole  data  data  hole  hole  data up to 6 pages + 100
 */
static void store_test_seek(struct kunit *test)
{
	const loff_t P = PG, size = 6 * P + 100;
	const struct {
		loff_t off;
		int whence;
		loff_t want;
	} c[] = {
		{ 0, SEEK_DATA, 0 },
		{ 5, SEEK_DATA, 5 },
		{ P, SEEK_DATA, 2 * P },
		{ P + 7, SEEK_DATA, 2 * P },
		{ 3 * P + 1, SEEK_DATA, 3 * P + 1 },
		{ 4 * P, SEEK_DATA, 6 * P },
		{ 5 * P + 9, SEEK_DATA, 6 * P },
		{ size - 1, SEEK_DATA, size - 1 },
		{ size, SEEK_DATA, -ENXIO },
		{ size + P, SEEK_DATA, -ENXIO },
		{ -1, SEEK_DATA, -ENXIO },
		{ 0, SEEK_HOLE, P },
		{ P - 1, SEEK_HOLE, P },
		{ P, SEEK_HOLE, P },
		{ P + 3, SEEK_HOLE, P + 3 },
		{ 2 * P, SEEK_HOLE, 4 * P },
		{ 3 * P + 5, SEEK_HOLE, 4 * P },
		{ 5 * P, SEEK_HOLE, 5 * P },
		{ 6 * P, SEEK_HOLE, size },	/* the implicit hole at the end */
		{ size - 1, SEEK_HOLE, size },
		{ size, SEEK_HOLE, -ENXIO },
		{ size + 1, SEEK_HOLE, -ENXIO },
		{ -5, SEEK_HOLE, -ENXIO },
	};
	u8 *src = kpattern(test, 16, 8);
	int i;

	KUNIT_ASSERT_EQ(test, st_write(test, 5, src, 10), 10);
	KUNIT_ASSERT_EQ(test, st_write(test, 3 * P - 1, src, 2), 2);
	KUNIT_ASSERT_EQ(test, st_write(test, 6 * P + 90, src, 10), 10);
	KUNIT_ASSERT_EQ(test, st_size(test), size);
	expect_pages(test, 4);

	for (i = 0; i < ARRAY_SIZE(c); i++)
		KUNIT_EXPECT_EQ_MSG(test, st_seek(test, c[i].off, c[i].whence),
				    c[i].want, "%s from %lld",
				    c[i].whence == SEEK_DATA ? "SEEK_DATA" :
				    "SEEK_HOLE", c[i].off);
}

/* All data: the only hole is the one at the end. */
static void store_test_seek_dense(struct kunit *test)
{
	size_t len = 3 * PG - 1;
	u8 *src = kpattern(test, len, 9);

	KUNIT_ASSERT_EQ(test, st_write(test, 0, src, len), (ssize_t)len);
	KUNIT_EXPECT_EQ(test, st_seek(test, 0, SEEK_HOLE), (loff_t)len);
	KUNIT_EXPECT_EQ(test, st_seek(test, PG + 1, SEEK_HOLE), (loff_t)len);
	KUNIT_EXPECT_EQ(test, st_seek(test, len - 1, SEEK_DATA),
			(loff_t)len - 1);
	KUNIT_EXPECT_EQ(test, st_seek(test, len, SEEK_DATA), -ENXIO);
}

/*
 * The last byte a file can have (max_size=2^63-1 allows it): page index
 * 2^51 - 1, and a SEEK_HOLE there must not compute 2^63.
 */
static void store_test_max_offset(struct kunit *test)
{
	const loff_t last = MAX_LFS_FILESIZE - 1;
	const loff_t last_page = last & PAGE_MASK;
	u8 x = 0x42, got[4] = { };

	KUNIT_ASSERT_EQ(test, st_write(test, last, &x, 1), 1);
	KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)MAX_LFS_FILESIZE);
	expect_pages(test, 1);
	KUNIT_EXPECT_TRUE(test, has_page(test, last >> PAGE_SHIFT));

	KUNIT_EXPECT_EQ(test, st_read(test, last, got, 4), 1);
	KUNIT_EXPECT_EQ(test, got[0], x);
	KUNIT_EXPECT_EQ(test, st_read(test, last - 2, got, 4), 3);
	KUNIT_EXPECT_EQ(test, got[0], 0);
	KUNIT_EXPECT_EQ(test, got[2], x);

	KUNIT_EXPECT_EQ(test, st_seek(test, 0, SEEK_DATA), last_page);
	KUNIT_EXPECT_EQ(test, st_seek(test, 0, SEEK_HOLE), 0);
	KUNIT_EXPECT_EQ(test, st_seek(test, last_page, SEEK_HOLE),
			(loff_t)MAX_LFS_FILESIZE);
	KUNIT_EXPECT_EQ(test, st_seek(test, last, SEEK_HOLE),
			(loff_t)MAX_LFS_FILESIZE);
	KUNIT_EXPECT_EQ(test, st_seek(test, last, SEEK_DATA), last);
	KUNIT_EXPECT_EQ(test, st_free_all(test), 1UL);
}

/*
 * Into fresh pages at 100, two pages from a buffer whose second page
 * faults: one page of bytes lands (file 100 to 4196), across two file
 * pages; the second of them keeps zeros past the fault, as on tmpfs.
 */
static void store_test_fault_fresh(struct kunit *test)
{
	u8 *src = kpattern(test, PG, 10), *got = kbuf(test, PG);
	enum fault_kind k;

	for (k = FAULT_UNMAPPED; k <= FAULT_PROT_NONE; k++) {
		char __user *u = faulting_pages(test, k, src);

		kunit_info(test, "second page %s", fault_name[k]);
		stale_pages();
		KUNIT_EXPECT_EQ(test, st_write_user(test, u, 2 * PG, 100),
				(ssize_t)PG);
		KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)PG + 100);
		expect_pages(test, 2);

		page_bytes(test, 0, 0, got, PG);
		KUNIT_EXPECT_TRUE(test, all_zero(got, 100));
		expect_bytes(test, got + 100, src, PG - 100, "page 0");
		page_bytes(test, 1, 0, got, PG);
		expect_bytes(test, got, src + PG - 100, 100, "page 1");
		KUNIT_EXPECT_TRUE_MSG(test, all_zero(got + 100, PG - 100),
				      "page 1 past the fault");
		KUNIT_EXPECT_EQ(test, st_free_all(test), 2UL);
	}
}

/*
 * The same write over existing data: the bytes before the fault are
 * new, the file data past it is left as it was (not zeroed), no page is
 * added and the size stays.
 */
static void store_test_fault_keeps_data(struct kunit *test)
{
	size_t len = 3 * PG;
	u8 *old = kpattern(test, len, 11), *src = kpattern(test, PG, 12);
	u8 *got = kbuf(test, len);
	enum fault_kind k;

	for (k = FAULT_UNMAPPED; k <= FAULT_PROT_NONE; k++) {
		char __user *u = faulting_pages(test, k, src);

		kunit_info(test, "second page %s", fault_name[k]);
		KUNIT_ASSERT_EQ(test, st_write(test, 0, old, len), (ssize_t)len);
		KUNIT_EXPECT_EQ(test, st_write_user(test, u, 2 * PG, 100),
				(ssize_t)PG);
		KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)len);
		expect_pages(test, 3);
		KUNIT_EXPECT_EQ(test, st_read(test, 0, got, len), (ssize_t)len);
		expect_bytes(test, got, old, 100, "before the write");
		expect_bytes(test, got + 100, src, PG, "the bytes copied");
		expect_bytes(test, got + PG + 100, old + PG + 100,
			     len - PG - 100, "past the fault");
	}
}

/*
 * Page-aligned writes whose buffer faults: a whole fresh page that gets
 * only 100 bytes keeps zeros in the rest (it was not cleared before the
 * copy, since the copy was to fill it); a fresh page that gets nothing is
 * not kept.
 */
static void store_test_fault_aligned(struct kunit *test)
{
	u8 *src = kpattern(test, PG, 13), *got = kbuf(test, PG);
	char __user *u = faulting_pages(test, FAULT_UNMAPPED, src);

	stale_pages();
	KUNIT_EXPECT_EQ(test, st_write_user(test, u + PG - 100, PG, 0), 100);
	KUNIT_EXPECT_EQ(test, st_size(test), 100);
	expect_pages(test, 1);
	page_bytes(test, 0, 0, got, PG);
	expect_bytes(test, got, src + PG - 100, 100, "the bytes copied");
	KUNIT_EXPECT_TRUE_MSG(test, all_zero(got + 100, PG - 100),
			      "the page past the fault");
	KUNIT_EXPECT_EQ(test, st_free_all(test), 1UL);

	KUNIT_EXPECT_EQ(test, st_write_user(test, u, 2 * PG, 0), (ssize_t)PG);
	KUNIT_EXPECT_EQ(test, st_size(test), (loff_t)PG);
	expect_pages(test, 1);
	KUNIT_EXPECT_FALSE(test, has_page(test, 1));
}

/*
 * A buffer that faults at its first byte: EFAULT, and nothing changed:
 * no page allocated, no size, existing data as it was.
 */
static void store_test_fault_nothing(struct kunit *test)
{
	u8 *src = kpattern(test, PG, 14), *got = kbuf(test, PG);
	enum fault_kind k;

	for (k = FAULT_UNMAPPED; k <= FAULT_PROT_NONE; k++) {
		char __user *u = faulting_pages(test, k, src) + PG;

		kunit_info(test, "buffer %s", fault_name[k]);
		KUNIT_EXPECT_EQ(test, st_write_user(test, u, 10, 5 * PG + 7),
				-EFAULT);
		KUNIT_EXPECT_EQ(test, st_size(test), 0);
		expect_pages(test, 0);
		KUNIT_EXPECT_TRUE(test, xa_empty(&store(test)->pages));

		KUNIT_ASSERT_EQ(test, st_write(test, 0, src, 200), 200);
		assert_faults(test, u);
		KUNIT_EXPECT_EQ(test, st_write_user(test, u, 50, 20), -EFAULT);
		KUNIT_EXPECT_EQ(test, st_write_user(test, u, PG, 150), -EFAULT);
		KUNIT_EXPECT_EQ(test, st_size(test), 200);
		expect_pages(test, 1);
		KUNIT_EXPECT_EQ(test, st_read(test, 0, got, PG), 200);
		expect_bytes(test, got, src, 200, "the data");
		KUNIT_EXPECT_EQ(test, st_free_all(test), 1UL);
	}
}

/*
 * Reads into a user buffer whose second page faults: a short count, the
 * bytes up to the fault delivered, from data and from holes; EFAULT when
 * nothing could be.
 */
static void store_test_read_fault(struct kunit *test)
{
	u8 *src = kpattern(test, PG, 15), *got = kbuf(test, PG);
	u8 *fill = kbuf(test, PG);
	struct rpf_store *st = store(test);
	struct iov_iter it;
	char __user *u;
	ssize_t ret;

	memset(fill, 0x77, PG);
	u = faulting_pages(test, FAULT_UNMAPPED, fill);
	KUNIT_ASSERT_EQ(test, st_write(test, 0, src, PG), (ssize_t)PG);
	KUNIT_ASSERT_EQ(test, st_write(test, 3 * PG, src, PG), (ssize_t)PG);
	assert_faults(test, u + PG);

	/* data: page 0 into the user page from byte 60 on */
	iov_iter_ubuf(&it, ITER_DEST, u + 60, 2 * PG);
	down_read(&st->lock);
	ret = rpf_store_read(st, 10, &it);
	up_read(&st->lock);
	KUNIT_EXPECT_EQ(test, ret, (ssize_t)PG - 60);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, u, PG), 0UL);
	expect_bytes(test, got, fill, 60, "user bytes before the read");
	expect_bytes(test, got + 60, src + 10, PG - 60, "the bytes read");

	/* a hole: zeros up to the fault */
	iov_iter_ubuf(&it, ITER_DEST, u + 8, 2 * PG);
	down_read(&st->lock);
	ret = rpf_store_read(st, PG + 5, &it);
	up_read(&st->lock);
	KUNIT_EXPECT_EQ(test, ret, (ssize_t)PG - 8);
	KUNIT_ASSERT_EQ(test, copy_from_user(got, u, PG), 0UL);
	expect_bytes(test, got, fill, 8, "user bytes before the read");
	KUNIT_EXPECT_TRUE_MSG(test, all_zero(got + 8, PG - 8), "the hole");

	/* nothing deliverable */
	iov_iter_ubuf(&it, ITER_DEST, u + PG, 100);
	down_read(&st->lock);
	ret = rpf_store_read(st, 0, &it);
	up_read(&st->lock);
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
}

/* free_all: every page back, the count returned, an empty store after. */
static void store_test_free_all(struct kunit *test)
{
	static const loff_t at[] = { 0, 3 * PAGE_SIZE + 9, 7 * PAGE_SIZE - 2,
				     1LL << 33 };
	u8 *src = kpattern(test, 8, 16);
	struct rpf_store *st = store(test);
	u8 buf[8];
	int i;

	for (i = 0; i < ARRAY_SIZE(at); i++)
		KUNIT_ASSERT_EQ(test, st_write(test, at[i], src, 8), 8);
	expect_pages(test, 5);

	KUNIT_EXPECT_EQ(test, st_free_all(test), 5UL);
	expect_pages(test, 0);
	KUNIT_EXPECT_TRUE(test, xa_empty(&st->pages));
	KUNIT_EXPECT_EQ(test, st_size(test), 0);
	KUNIT_EXPECT_EQ(test, st_read(test, 0, buf, 8), 0);
	KUNIT_EXPECT_EQ(test, st_seek(test, 0, SEEK_DATA), -ENXIO);
	KUNIT_EXPECT_EQ(test, st_free_all(test), 0UL);

	/* and usable again */
	KUNIT_ASSERT_EQ(test, st_write(test, PG, src, 8), 8);
	expect_pages(test, 1);
	KUNIT_EXPECT_EQ(test, st_read(test, PG, buf, 8), 8);
	expect_bytes(test, buf, src, 8, "after free_all");
}

/* ---- random operations against a flat model ---------------------------- */

#define MODEL_PAGES	16
#define MODEL_SIZE	(MODEL_PAGES * PG)
#define MAX_IO		(3 * PG)
#define RANDOM_OPS	3000
#define RANDOM_SEED	20251121

struct model {
	u8 *bytes;			/* MODEL_SIZE bytes, zeros in holes */
	DECLARE_BITMAP(present, MODEL_PAGES);
	loff_t size;
};

/* An offset below LIMIT, near a page boundary a third of the time. */
static loff_t rnd_pos(struct rnd_state *rs, loff_t limit)
{
	u32 r = prandom_u32_state(rs);

	if (r % 3 == 0) {
		loff_t pos = (loff_t)((r >> 2) % (limit / PG + 1)) * PG +
			     (loff_t)((r >> 24) % 7) - 3;

		return clamp_t(loff_t, pos, 0, limit - 1);
	}
	return (loff_t)((r >> 2) % limit);
}

/* SEEK_DATA/SEEK_HOLE worked out byte by byte from the model. */
static loff_t model_seek(const struct model *m, loff_t off, int whence)
{
	bool data = whence == SEEK_DATA;
	loff_t o;

	if (off < 0 || off >= m->size)
		return -ENXIO;
	for (o = off; o < m->size; o = (o / PG + 1) * PG)
		if (test_bit(o / PG, m->present) == data)
			return o;
	return data ? -ENXIO : m->size;
}

/*
 * Seeded random writes, reads, seeks and free_alls over 16 pages, each
 * checked against a flat buffer and a bitmap of the pages written: data,
 * return values, size, page count, the data/hole map.  The first
 * divergence stops the case, with the operation's number.
 */
static void store_test_random(struct kunit *test)
{
	struct model m = { .bytes = kbuf(test, MODEL_SIZE) };
	u8 *src = kbuf(test, MAX_IO), *got = kbuf(test, MAX_IO);
	char __user *u = user_pages(test, MAX_IO / PG + 1);
	struct rpf_store *st = store(test);
	unsigned int counts[4] = { };
	struct rnd_state rs;
	int op;

	prandom_seed_state(&rs, RANDOM_SEED);
	for (op = 0; op < RANDOM_OPS; op++) {
		u32 kind = prandom_u32_state(&rs) % 100;
		loff_t pos, want;
		size_t len, uoff;
		ssize_t ret;

		if (kind < 50) {		/* write */
			pos = rnd_pos(&rs, MODEL_SIZE);
			len = 1 + prandom_u32_state(&rs) %
				  min_t(size_t, MAX_IO, MODEL_SIZE - pos);
			uoff = prandom_u32_state(&rs) % PG;
			prandom_bytes_state(&rs, src, len);
			to_user(test, u + uoff, src, len);
			ret = st_write_user(test, u + uoff, len, pos);
			KUNIT_ASSERT_EQ_MSG(test, ret, (ssize_t)len,
					    "op %d: write %zu at %lld", op,
					    len, pos);
			memcpy(m.bytes + pos, src, len);
			bitmap_set(m.present, pos / PG,
				   (pos + len - 1) / PG - pos / PG + 1);
			m.size = max_t(loff_t, m.size, pos + len);
			counts[0]++;
		} else if (kind < 85) {		/* read */
			pos = rnd_pos(&rs, MODEL_SIZE + PG);
			len = prandom_u32_state(&rs) % (MAX_IO + 1);
			want = clamp_t(loff_t, m.size - pos, 0, len);
			ret = st_read(test, pos, got, len);
			KUNIT_ASSERT_EQ_MSG(test, ret, (ssize_t)want,
					    "op %d: read %zu at %lld", op,
					    len, pos);
			KUNIT_ASSERT_EQ_MSG(test,
					    first_diff(got, m.bytes + pos, want),
					    (size_t)want,
					    "op %d: read %zu at %lld: data",
					    op, len, pos);
			counts[1]++;
		} else if (kind < 99) {		/* seek */
			int whence = kind & 1 ? SEEK_DATA : SEEK_HOLE;

			pos = rnd_pos(&rs, MODEL_SIZE + PG);
			KUNIT_ASSERT_EQ_MSG(test, st_seek(test, pos, whence),
					    model_seek(&m, pos, whence),
					    "op %d: %s from %lld", op,
					    whence == SEEK_DATA ? "SEEK_DATA" :
					    "SEEK_HOLE", pos);
			counts[2]++;
		} else {			/* free_all */
			KUNIT_ASSERT_EQ_MSG(test, st_free_all(test),
					    (unsigned long)bitmap_weight(m.present,
									 MODEL_PAGES),
					    "op %d: free_all", op);
			memset(m.bytes, 0, MODEL_SIZE);
			bitmap_zero(m.present, MODEL_PAGES);
			m.size = 0;
			counts[3]++;
		}
		KUNIT_ASSERT_EQ_MSG(test, st->size, m.size, "op %d: size", op);
		KUNIT_ASSERT_EQ_MSG(test, st->nr_pages,
				    (unsigned long)bitmap_weight(m.present,
								 MODEL_PAGES),
				    "op %d: nr_pages", op);
	}
	kunit_info(test, "seed %d: %u writes, %u reads, %u seeks, %u free_alls",
		   RANDOM_SEED, counts[0], counts[1], counts[2], counts[3]);
	expect_pages(test, bitmap_weight(m.present, MODEL_PAGES));
	/* the whole file once more, a page at a time */
	for (op = 0; op < MODEL_PAGES; op++) {
		loff_t want = clamp_t(loff_t, m.size - op * PG, 0, PG);

		KUNIT_EXPECT_EQ(test, st_read(test, op * PG, got, PG),
				(ssize_t)want);
		expect_bytes(test, got, m.bytes + op * PG, want, "final read");
	}
}

static struct kunit_case store_test_cases[] = {
	KUNIT_CASE(store_test_empty),
	KUNIT_CASE(store_test_round_trip),
	KUNIT_CASE(store_test_zero_length),
	KUNIT_CASE(store_test_unaligned_span),
	KUNIT_CASE(store_test_long_unaligned),
	KUNIT_CASE(store_test_sparse),
	KUNIT_CASE(store_test_overwrite),
	KUNIT_CASE(store_test_seek),
	KUNIT_CASE(store_test_seek_dense),
	KUNIT_CASE(store_test_max_offset),
	KUNIT_CASE(store_test_fault_fresh),
	KUNIT_CASE(store_test_fault_keeps_data),
	KUNIT_CASE(store_test_fault_aligned),
	KUNIT_CASE(store_test_fault_nothing),
	KUNIT_CASE(store_test_read_fault),
	KUNIT_CASE(store_test_free_all),
	KUNIT_CASE(store_test_random),
	{}
};

static struct kunit_suite store_test_suite = {
	.name = "rpf_store",
	.init = rpf_test_init,
	.exit = rpf_test_exit,
	.test_cases = store_test_cases,
};

kunit_test_suite(store_test_suite);

MODULE_DESCRIPTION("KUnit tests of rust_proc_ram_file's page store");
MODULE_AUTHOR("rustmods developers");
MODULE_LICENSE("GPL");
