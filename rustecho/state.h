/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rustecho's buffers and its state file (persist_path).
 *
 * A buffer is immutable once made: a write() makes a new one and swaps it
 * in, and a reader copies from the one it took a reference on, holding no
 * lock while it does.  The last reference frees it.
 *
 * The state file's codec works on any source or sink (struct re_io), so
 * that its rules can be tested without a file; re_state_restore() and
 * re_state_save() add the rules about the file itself.  See README.md,
 * "Persistence".
 */
#ifndef RUSTECHO_STATE_H
#define RUSTECHO_STATE_H

#include <linux/kref.h>
#include <linux/types.h>
#include <linux/uidgid.h>

/**
 * struct re_buf - the bytes of one write(), never changed once published
 * @ref: one reference for the device that holds it, one per reader
 * @len: number of bytes, > 0 (an empty buffer is no buffer: NULL)
 * @data: the bytes
 */
struct re_buf {
	struct kref ref;
	size_t len;
	u8 data[];
};

struct re_buf *re_buf_alloc(size_t len);
void re_buf_put(struct re_buf *buf);

static inline struct re_buf *re_buf_get(struct re_buf *buf)
{
	if (buf)
		kref_get(&buf->ref);
	return buf;
}

static inline size_t re_buf_len(const struct re_buf *buf)
{
	return buf ? buf->len : 0;
}

/**
 * struct re_io - where the codec reads a state file from or writes it to
 * @xfer: move exactly @len bytes between @buf and the next part of the
 *	file; 0, or a negative errno
 * @size: a source's size in bytes (unused for a sink)
 */
struct re_io {
	int (*xfer)(struct re_io *io, void *buf, size_t len);
	loff_t size;
};

/* room for a refusal's reason, as dmesg gives it */
#define RE_WHY_LEN	128

int re_state_encode(struct re_io *sink, struct re_buf *const *bufs,
		    unsigned int count);
int re_state_decode(struct re_io *src, unsigned int count, size_t max_size,
		    struct re_buf **bufs, char *why);
bool re_state_file_refused(umode_t mode, kuid_t owner, unsigned int nlink,
			   kuid_t loader, char *why);

void re_state_restore(const char *path, unsigned int count, size_t max_size,
		      struct re_buf **bufs);
void re_state_save(const char *path, struct re_buf *const *bufs,
		   unsigned int count);

#endif /* RUSTECHO_STATE_H */
