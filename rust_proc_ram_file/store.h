/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page store behind /proc/rust-proc-file: the bytes of a sparse file
 * held in RAM, as an xarray of pages indexed by page number, its size and
 * its page count.  See store.c for the operations.
 *
 * The store has a lock but never takes it: each operation says how the
 * caller must hold st->lock (lockdep checks it).  It knows nothing of
 * files, limits or /proc: that is proc.c.
 */
#ifndef RPF_STORE_H
#define RPF_STORE_H

#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct iov_iter;

struct rpf_store {
	struct rw_semaphore lock;	/* protects everything below */
	struct xarray pages;		/* page index -> struct page */
	loff_t size;			/* every page starts below it */
	unsigned long nr_pages;		/* pages in the xarray */
};

void rpf_store_init(struct rpf_store *st);
ssize_t rpf_store_write(struct rpf_store *st, const char __user *buf,
			size_t count, loff_t pos);
ssize_t rpf_store_read(struct rpf_store *st, loff_t pos, struct iov_iter *to);
loff_t rpf_store_seek_data_hole(struct rpf_store *st, loff_t offset,
				int whence);
unsigned long rpf_store_free_all(struct rpf_store *st);

#endif /* RPF_STORE_H */
