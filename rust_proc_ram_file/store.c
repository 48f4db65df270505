// SPDX-License-Identifier: GPL-2.0
/*
 * rust_proc_ram_file's page store: the data of /proc/rust-proc-file.
 *
 * An xarray of pages indexed by page number.  A page exists only where
 * something was written, so holes take no memory and read as zeros, and
 * every operation touches only the pages it covers.  Pages and xarray
 * nodes are allocated with GFP_KERNEL_ACCOUNT: they are charged to the
 * memory cgroup of the task that writes them.
 *
 * Locking is the caller's: st->lock, an rw_semaphore, protects the pages,
 * the size and the page count.  Reads and seeks need it held shared,
 * writes and rpf_store_free_all() exclusively, for the whole operation,
 * user copies included (proc.c says why that is safe and what it buys).
 *
 * This file is also compiled into the KUnit test module
 * (rust_proc_ram_file_kunit.c includes it), so it holds the store and
 * nothing else: no module metadata, no /proc.
 */
#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "store.h"

/* An empty store: no pages, size 0. */
void rpf_store_init(struct rpf_store *st)
{
	init_rwsem(&st->lock);
	xa_init(&st->pages);
	st->size = 0;
	st->nr_pages = 0;
}

/*
 * Copy COUNT bytes from the user buffer BUF into the store at POS (>= 0),
 * allocating the pages that do not exist yet, and grow the size to cover
 * them.  Returns how many bytes were copied, or -errno if none were.
 * The caller has checked access_ok(BUF, COUNT) and any size limit, and
 * holds st->lock for writing.
 *
 * If BUF faults part way, the bytes before the fault are kept and file
 * data past it is left as it was; a page allocated for this write keeps
 * zeros past the fault (as tmpfs does), and one that received nothing is
 * not kept at all.
 */
ssize_t rpf_store_write(struct rpf_store *st, const char __user *buf,
			size_t count, loff_t pos)
{
	size_t done = 0;
	int err = 0;

	lockdep_assert_held_write(&st->lock);

	while (done < count) {
		pgoff_t idx = pos >> PAGE_SHIFT;
		size_t off = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = xa_load(&st->pages, idx);
		bool fresh = !page;
		size_t left;
		void *kaddr;

		if (fresh) {
			page = alloc_page(GFP_KERNEL_ACCOUNT);
			if (!page) {
				err = -ENOMEM;
				break;
			}
			if (n < PAGE_SIZE)
				clear_highpage(page);
		}

		/*
		 * Not copy_from_user(): on a fault it zeroes what it could
		 * not copy, which here would be file data.  The caller has
		 * checked access_ok().
		 */
		kaddr = kmap_local_page(page);
		left = __copy_from_user(kaddr + off, buf + done, n);
		kunmap_local(kaddr);

		if (fresh) {
			if (left == n) {
				__free_page(page);
				err = -EFAULT;
				break;
			}
			if (left)	/* keep the page as tmpfs would: zeros */
				memzero_page(page, off + n - left, left);
			err = xa_err(xa_store(&st->pages, idx, page,
					      GFP_KERNEL_ACCOUNT));
			if (err) {
				__free_page(page);
				break;
			}
			st->nr_pages++;
		}
		done += n - left;
		pos += n - left;
		if (left) {
			err = -EFAULT;
			break;
		}
	}
	if (!done)
		return err;
	if (pos > st->size)
		st->size = pos;
	return done;
}

/*
 * Copy the store's bytes from POS (>= 0) on into TO, as many as TO has
 * room for up to the size; holes give zeros.  Returns how many bytes were
 * copied, 0 at or past the size or for an empty TO, -EFAULT if TO took
 * none.  The caller holds st->lock, shared at least.
 */
ssize_t rpf_store_read(struct rpf_store *st, loff_t pos, struct iov_iter *to)
{
	size_t done = 0, count;

	lockdep_assert_held(&st->lock);

	if (pos >= st->size || !iov_iter_count(to))
		return 0;
	count = min_t(loff_t, iov_iter_count(to), st->size - pos);
	while (done < count) {
		size_t off = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - off, count - done);
		struct page *page = xa_load(&st->pages, pos >> PAGE_SHIFT);
		size_t copied;

		if (page) {
			/*
			 * Not copy_page_to_iter(): for a pipe (splice,
			 * sendfile) 6.1 would pass a reference to our page,
			 * which the pipe then refuses for having no mapping.
			 */
			void *kaddr = kmap_local_page(page);

			copied = copy_to_iter(kaddr + off, n, to);
			kunmap_local(kaddr);
		} else {
			copied = iov_iter_zero(n, to);
		}
		done += copied;
		pos += copied;
		if (copied < n)
			break;
	}
	return done ? done : -EFAULT;
}

/*
 * SEEK_DATA and SEEK_HOLE (WHENCE) from OFFSET, as tmpfs answers them: a
 * page that exists is data up to the end of the file, a page that does
 * not is a hole, and there is an implicit hole at the end of the file.
 * Returns the offset found, or -ENXIO for an OFFSET below 0 or at or past
 * the size, and for SEEK_DATA with no data from OFFSET on.  The caller
 * holds st->lock, shared at least.
 */
loff_t rpf_store_seek_data_hole(struct rpf_store *st, loff_t offset,
				int whence)
{
	pgoff_t idx, last;
	loff_t pos;

	lockdep_assert_held(&st->lock);

	if (offset < 0 || offset >= st->size)
		return -ENXIO;
	idx = offset >> PAGE_SHIFT;
	last = (st->size - 1) >> PAGE_SHIFT;

	if (whence == SEEK_DATA) {
		if (!xa_find(&st->pages, &idx, last, XA_PRESENT))
			return -ENXIO;
		pos = (loff_t)idx << PAGE_SHIFT;
		return max(pos, offset);
	}

	if (!xa_load(&st->pages, idx))
		return offset;
	while (idx < last && xa_load(&st->pages, idx + 1))
		idx++;
	/*
	 * Data up to the end of the file: the hole is at the size (the end
	 * of the last page would be 2^63 in a file of MAX_LFS_FILESIZE).
	 */
	if (idx == last)
		return st->size;
	return (loff_t)(idx + 1) << PAGE_SHIFT;
}

/*
 * Empty the store: free every page and the xarray's nodes, size 0.
 * Returns how many pages there were.  The caller holds st->lock for
 * writing.
 */
unsigned long rpf_store_free_all(struct rpf_store *st)
{
	unsigned long n = st->nr_pages;
	struct page *page;
	unsigned long idx;

	lockdep_assert_held_write(&st->lock);

	xa_for_each(&st->pages, idx, page)
		__free_page(page);
	xa_destroy(&st->pages);
	st->nr_pages = 0;
	st->size = 0;
	return n;
}
