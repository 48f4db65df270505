// SPDX-License-Identifier: GPL-2.0
/*
 * rustecho's buffers and its state file: the codec (the format is
 * struct rustecho_state_hdr in <linux/rustecho.h>), the rules a file must
 * meet to be restored, and the save, which never writes into or through
 * anything but a file it has just created itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/crc32.h>
#include <linux/dcache.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/rustecho.h>

#include "kmod_compat.h"
#include "state.h"

/* Buffers */

struct re_buf *re_buf_alloc(size_t len)
{
	struct re_buf *buf = kvmalloc(struct_size(buf, data, len),
				      GFP_KERNEL_ACCOUNT);

	if (!buf)
		return NULL;
	kref_init(&buf->ref);
	buf->len = len;
	return buf;
}

static void re_buf_release(struct kref *ref)
{
	kvfree(container_of(ref, struct re_buf, ref));
}

void re_buf_put(struct re_buf *buf)
{
	if (buf)
		kref_put(&buf->ref, re_buf_release);
}

/* The codec */

static u32 re_hdr_crc(const struct rustecho_state_hdr *hdr)
{
	struct rustecho_state_hdr h = *hdr;

	h.crc = 0;
	return crc32_le(~0U, (const u8 *)&h, sizeof(h));
}

/* Write the header, then per buffer its length and its bytes. */
int re_state_encode(struct re_io *sink, struct re_buf *const *bufs,
		    unsigned int count)
{
	struct rustecho_state_hdr hdr = {};
	u64 payload = 0;
	unsigned int i;
	u32 crc;
	int ret;

	for (i = 0; i < count; i++)
		payload += sizeof(__le64) + re_buf_len(bufs[i]);
	memcpy(hdr.magic, RUSTECHO_STATE_MAGIC, sizeof(hdr.magic));
	hdr.version = cpu_to_le32(RUSTECHO_STATE_VERSION);
	hdr.count = cpu_to_le32(count);
	hdr.payload = cpu_to_le64(payload);

	crc = re_hdr_crc(&hdr);
	for (i = 0; i < count; i++) {
		__le64 rec = cpu_to_le64(re_buf_len(bufs[i]));

		crc = crc32_le(crc, (u8 *)&rec, sizeof(rec));
		if (bufs[i])
			crc = crc32_le(crc, bufs[i]->data, bufs[i]->len);
	}
	hdr.crc = cpu_to_le32(~crc);

	ret = sink->xfer(sink, &hdr, sizeof(hdr));
	for (i = 0; !ret && i < count; i++) {
		__le64 rec = cpu_to_le64(re_buf_len(bufs[i]));

		ret = sink->xfer(sink, &rec, sizeof(rec));
		if (!ret && bufs[i])
			ret = sink->xfer(sink, bufs[i]->data, bufs[i]->len);
	}
	return ret;
}

/*
 * Read and check a whole state file of COUNT buffers of at most MAX_SIZE
 * bytes each.  On success BUFS[0..COUNT-1] hold the buffers (NULL for an
 * empty one) and belong to the caller.  Otherwise every BUFS[i] is NULL,
 * WHY says what is wrong, and the return is -EIO for a read error,
 * -ENOMEM, or -EINVAL for a file that is not sound.
 */
int re_state_decode(struct re_io *src, unsigned int count, size_t max_size,
		    struct re_buf **bufs, char *why)
{
	struct rustecho_state_hdr hdr;
	u64 payload, total = 0;
	u32 crc, n_bufs, i;
	loff_t size = src->size;
	int ret = -EINVAL;

	for (i = 0; i < count; i++)
		bufs[i] = NULL;
	if (size < (loff_t)sizeof(hdr)) {
		snprintf(why, RE_WHY_LEN,
			 "truncated: %lld bytes, shorter than the header", size);
		return -EINVAL;
	}
	ret = src->xfer(src, &hdr, sizeof(hdr));
	if (ret)
		goto read_error;
	if (memcmp(hdr.magic, RUSTECHO_STATE_MAGIC, sizeof(hdr.magic))) {
		snprintf(why, RE_WHY_LEN, "not a rustecho state file (bad magic)");
		return -EINVAL;
	}
	if (le32_to_cpu(hdr.version) != RUSTECHO_STATE_VERSION) {
		snprintf(why, RE_WHY_LEN,
			 "unsupported version %u (this module reads %u)",
			 le32_to_cpu(hdr.version), RUSTECHO_STATE_VERSION);
		return -EINVAL;
	}
	payload = le64_to_cpu(hdr.payload);
	if (size - sizeof(hdr) != payload) {
		snprintf(why, RE_WHY_LEN, "%s: %lld bytes, the header says %llu",
			 size - sizeof(hdr) < payload ? "truncated" : "corrupt",
			 size, payload + sizeof(hdr));
		return -EINVAL;
	}
	n_bufs = le32_to_cpu(hdr.count);
	if (n_bufs != count) {
		snprintf(why, RE_WHY_LEN, "holds %u buffers, but instances=%u",
			 n_bufs, count);
		return -EINVAL;
	}

	crc = re_hdr_crc(&hdr);
	for (i = 0; i < count; i++) {
		__le64 rec;
		u64 n;

		ret = -EINVAL;
		if (payload - total < sizeof(rec))
			goto past_end;
		ret = src->xfer(src, &rec, sizeof(rec));
		if (ret)
			goto read_error;
		total += sizeof(rec);
		n = le64_to_cpu(rec);
		ret = -EINVAL;
		if (n > max_size) {
			snprintf(why, RE_WHY_LEN,
				 "buffer %u holds %llu bytes, more than max_size=%zu",
				 i, n, max_size);
			goto fail;
		}
		if (payload - total < n)
			goto past_end;
		crc = crc32_le(crc, (u8 *)&rec, sizeof(rec));
		if (n) {
			ret = -ENOMEM;
			bufs[i] = re_buf_alloc(n);
			if (!bufs[i]) {
				snprintf(why, RE_WHY_LEN, "out of memory");
				goto fail;
			}
			ret = src->xfer(src, bufs[i]->data, n);
			if (ret)
				goto read_error;
			crc = crc32_le(crc, bufs[i]->data, n);
		}
		total += n;
	}
	ret = -EINVAL;
	if (total != payload) {
		snprintf(why, RE_WHY_LEN,
			 "corrupt: %llu bytes after the last record",
			 payload - total);
		goto fail;
	}
	if (~crc != le32_to_cpu(hdr.crc)) {
		snprintf(why, RE_WHY_LEN, "corrupt: checksum mismatch");
		goto fail;
	}
	return 0;

past_end:
	snprintf(why, RE_WHY_LEN, "corrupt: record %u runs past the end", i);
	goto fail;
read_error:
	snprintf(why, RE_WHY_LEN, "cannot read it (error %d)", ret);
	ret = -EIO;
fail:
	for (i = 0; i < count; i++) {
		re_buf_put(bufs[i]);
		bufs[i] = NULL;
	}
	return ret;
}

/*
 * The rules for a state file to be restored: a regular file (never a
 * symbolic link, which is not followed), owned by the user who loads the
 * module, with no other link (a second name could be anyone's), writable
 * by nobody else.  Returns true, with WHY filled in, if it is refused.
 */
bool re_state_file_refused(umode_t mode, kuid_t owner, unsigned int nlink,
			   kuid_t loader, char *why)
{
	if (S_ISLNK(mode))
		snprintf(why, RE_WHY_LEN, "a symbolic link, not followed");
	else if (!S_ISREG(mode))
		snprintf(why, RE_WHY_LEN, "not a regular file");
	else if (!uid_eq(owner, loader))
		snprintf(why, RE_WHY_LEN,
			 "owned by uid %u, not by uid %u (who loads the module)",
			 from_kuid(&init_user_ns, owner),
			 from_kuid(&init_user_ns, loader));
	else if (nlink != 1)
		snprintf(why, RE_WHY_LEN, "has %u links, not 1", nlink);
	else if (mode & 0022)
		snprintf(why, RE_WHY_LEN,
			 "writable by others than its owner (mode %04o)",
			 mode & 07777);
	else
		return false;
	return true;
}

/* Files */

struct re_file_io {
	struct re_io io;
	struct file *file;
	loff_t pos;
};

static int re_file_read(struct re_io *io, void *buf, size_t len)
{
	struct re_file_io *f = container_of(io, struct re_file_io, io);

	while (len) {
		ssize_t n = kernel_read(f->file, buf, len, &f->pos);

		if (n < 0)
			return n;
		if (!n)
			return -ENODATA;	/* the file shrank under us */
		buf += n;
		len -= n;
	}
	return 0;
}

static int re_file_write(struct re_io *io, void *buf, size_t len)
{
	struct re_file_io *f = container_of(io, struct re_file_io, io);

	while (len) {
		ssize_t n = kernel_write(f->file, buf, len, &f->pos);

		if (n < 0)
			return n;
		if (!n)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

__printf(2, 3)
static void re_restore_failed(const char *path, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_warn("%s: %pV; starting with empty buffers\n", path, &vaf);
	va_end(args);
}

/*
 * Restore COUNT buffers from PATH into BUFS (all NULL if it is refused;
 * dmesg says why).  The file is first opened O_PATH, which neither
 * follows a symbolic link at PATH nor opens what it names (a FIFO, a
 * device), and checked; then that same inode is opened for reading.
 */
void re_state_restore(const char *path, unsigned int count, size_t max_size,
		      struct re_buf **bufs)
{
	struct re_file_io src = { .io.xfer = re_file_read };
	char why[RE_WHY_LEN];
	struct inode *inode;
	struct file *p;
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < count; i++)
		bufs[i] = NULL;
	p = filp_open(path, O_PATH | O_NOFOLLOW, 0);
	if (IS_ERR(p)) {
		if (PTR_ERR(p) == -ENOENT)
			pr_info("%s: no saved state, starting with empty buffers\n",
				path);
		else
			re_restore_failed(path, "cannot open it (error %ld)",
					  PTR_ERR(p));
		return;
	}
	inode = file_inode(p);
	if (re_state_file_refused(inode->i_mode, inode->i_uid, inode->i_nlink,
				  current_fsuid(), why)) {
		re_restore_failed(path, "%s", why);
		filp_close(p, NULL);
		return;
	}
	src.file = dentry_open(&p->f_path, O_RDONLY | O_LARGEFILE,
			       current_cred());
	filp_close(p, NULL);
	if (IS_ERR(src.file)) {
		re_restore_failed(path, "cannot open it (error %ld)",
				  PTR_ERR(src.file));
		return;
	}
	src.io.size = i_size_read(file_inode(src.file));
	if (re_state_decode(&src.io, count, max_size, bufs, why)) {
		re_restore_failed(path, "%s", why);
	} else {
		for (i = 0; i < count; i++)
			bytes += re_buf_len(bufs[i]);
		pr_info("%s: restored %u buffer%s, %llu bytes\n", path, count,
			count == 1 ? "" : "s", bytes);
	}
	filp_close(src.file, NULL);
}

/*
 * Write the state to a new file at TMP_PATH, created exclusively (whatever
 * was at that name has been removed, never opened), then rename it to
 * NAME in DIR.  Returns with the temporary file removed on failure.
 */
static int re_save_via(const struct path *dir, const char *tmp_path,
		       const char *name, struct re_buf *const *bufs,
		       unsigned int count)
{
	const char *tmp_name = strrchr(tmp_path, '/') + 1;
	struct re_file_io sink = { .io.xfer = re_file_write };
	struct dentry *tmp;
	struct renamedata rd;
	int ret;

	ret = mnt_want_write(dir->mnt);
	if (ret)
		return ret;
	ret = kc_unlink_name(dir, tmp_name);
	mnt_drop_write(dir->mnt);
	if (ret && ret != -ENOENT)
		return ret;

	sink.file = filp_open(tmp_path, O_WRONLY | O_CREAT | O_EXCL |
			      O_NOFOLLOW | O_LARGEFILE, 0600);
	if (IS_ERR(sink.file))
		return PTR_ERR(sink.file);
	tmp = sink.file->f_path.dentry;
	ret = re_state_encode(&sink.io, bufs, count);
	if (!ret)
		ret = vfs_fsync(sink.file, 0);
	/* nobody may have given it a second name meanwhile */
	if (!ret && d_inode(tmp)->i_nlink != 1)
		ret = -EMLINK;
	if (!ret)
		ret = mnt_want_write(dir->mnt);
	if (!ret) {
		/* fails if the file was moved or removed since we made it */
		ret = kc_start_renaming(&rd, dir->mnt, dir->dentry, tmp, name);
		if (!ret) {
			ret = vfs_rename(&rd);
			kc_end_renaming(&rd);
		}
		if (ret)
			kc_unlink_name(dir, tmp_name);
		mnt_drop_write(dir->mnt);
	} else if (!mnt_want_write(dir->mnt)) {
		kc_unlink_name(dir, tmp_name);
		mnt_drop_write(dir->mnt);
	}
	filp_close(sink.file, NULL);
	return ret;
}

/* Save COUNT buffers to PATH (an absolute path to a file); dmesg says how. */
void re_state_save(const char *path, struct re_buf *const *bufs,
		   unsigned int count)
{
	const char *name = strrchr(path, '/') + 1;
	char *tmp_path, *dir_path;
	struct path dir;
	unsigned int i;
	u64 bytes = 0;
	int ret = -ENOMEM;

	tmp_path = kasprintf(GFP_KERNEL, "%s.tmp", path);
	/* the directory: "/" for a file at the root */
	dir_path = kstrndup(path, max_t(size_t, name - path - 1, 1),
			    GFP_KERNEL);
	if (!tmp_path || !dir_path)
		goto out;
	ret = kern_path(dir_path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
	if (ret)
		goto out;
	ret = re_save_via(&dir, tmp_path, name, bufs, count);
	path_put(&dir);
out:
	if (ret) {
		pr_err("%s: cannot save the buffers (error %d), the file is unchanged\n",
		       path, ret);
	} else {
		for (i = 0; i < count; i++)
			bytes += re_buf_len(bufs[i]);
		pr_info("%s: saved %u buffer%s, %llu bytes\n", path, count,
			count == 1 ? "" : "s", bytes);
	}
	kfree(tmp_path);
	kfree(dir_path);
}
