// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rustecho.ko's state file when persist_path lies in a
 * directory another user can write to (here a sticky, world-writable one,
 * like /tmp), and that user (uid PLANTER) plants files where the module
 * saves and restores:
 *  - at <persist_path>.tmp, before an unload: a regular file of its own, a
 *    hard link to a file of root's, a FIFO, a symbolic link;
 *  - at persist_path, before a load: a FIFO, a symbolic link to a FIFO or
 *    to a device node, a well-formed state file of its own, a hard link to
 *    a well-formed state file of root's;
 * and root's own mistakes: a state file writable by others, a device node.
 * The save must produce a file only root can read, never write through or
 * into anything planted, and never block; a restore must never open what is
 * not root's own regular file with a single link, nor block.
 */
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "rustecho_test.h"

#define PLANTER 1000
#define SHARED "/tmp/rustecho-shared"
#define STATE SHARED "/state"
#define TMP STATE ".tmp"
#define VICTIM "/tmp/rustecho-victim"	/* root's, same file system */
#define PARAMS "persist_path=" STATE
#define EMPTY "; starting with empty buffers"
#define SECRET "root's secret\n"

/* a well-formed state file of one buffer holding DATA; returns its size */
static size_t make_image(unsigned char *img, const char *data)
{
	struct rustecho_state_hdr h = { 0 };
	uint64_t n = strlen(data);
	size_t len = sizeof(h) + 8 + n;

	memcpy(h.magic, RUSTECHO_STATE_MAGIC, 8);
	h.version = RUSTECHO_STATE_VERSION;	/* x86: little endian */
	h.count = 1;
	h.payload = 8 + n;
	memcpy(img, &h, sizeof(h));
	memcpy(img + sizeof(h), &n, 8);
	memcpy(img + sizeof(h) + 8, data, n);
	fix_crc(img, len);
	return len;
}

/* ---- acting as the other user ---- */

enum plant { P_FILE, P_LINK, P_FIFO, P_SYMLINK, P_IMAGE, P_OPEN };

struct planting {
	enum plant what;
	const char *path;
	const char *target;	/* P_LINK, P_SYMLINK: what it points to */
};

static int plant_now(const struct planting *p)
{
	unsigned char img[256];
	size_t len;
	int fd;

	switch (p->what) {
	case P_FILE:		/* an empty regular file anyone may read */
		fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd < 0 || fchmod(fd, 0666))
			return -1;
		close(fd);
		return 0;
	case P_LINK:
		return link(p->target, p->path);
	case P_FIFO:
		return mkfifo(p->path, 0666) ? -1 : chmod(p->path, 0666);
	case P_SYMLINK:
		return symlink(p->target, p->path);
	case P_IMAGE:		/* a well-formed state file of its own */
		len = make_image(img, "planted\n");
		return spill(p->path, img, len, 0644);
	case P_OPEN:		/* can it read PATH? */
		fd = open(p->path, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	return -1;
}

/* Do P as uid PLANTER; 0 or the errno it failed with. */
static int as_planter(enum plant what, const char *path, const char *target)
{
	struct planting p = { what, path, target };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (!pid) {
		if (setgroups(0, NULL) || setgid(PLANTER) || setuid(PLANTER))
			_exit(255);
		_exit(plant_now(&p) ? errno : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 254;
}

/* ---- loading and unloading that may block on a FIFO ---- */

/*
 * Run a load (PARAMS) or an unload (PARAMS NULL) in a child; returns 0 if
 * it ended within SECS seconds.  If not, FIFO is opened from the other end
 * so that the kernel's open of it returns, and the child is collected.
 */
static int timed(const char *params, int secs, const char *fifo)
{
	int status, i, fd;
	pid_t pid = fork();

	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (!pid)
		_exit(params ? -mod_load(MOD, params) : -mod_unload(MOD));
	for (i = 0; i < secs * 20; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
		usleep(50000);
	}
	/* blocked in the open of FIFO: be its other end, then EOF */
	fd = open(fifo, (params ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
	if (fd >= 0) {
		if (!params) {
			char sink[4096];

			while (waitpid(pid, &status, WNOHANG) != pid)
				if (read(fd, sink, sizeof(sink)) < 0)
					usleep(10000);
		}
		close(fd);
	}
	waitpid(pid, &status, 0);
	return 1;
}

/* ---- checks ---- */

/* STATE is root's regular file, mode 0600, one link, a fresh inode */
static bool state_is_roots(ino_t not_ino)
{
	struct stat st;

	if (lstat(STATE, &st))
		return false;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 07777) != 0600 || st.st_nlink != 1 ||
	    st.st_ino == not_ino) {
		diag("state: mode %o uid %u links %lu inode %lu (planted %lu)",
		     st.st_mode, st.st_uid, (unsigned long)st.st_nlink,
		     (unsigned long)st.st_ino, (unsigned long)not_ino);
		return false;
	}
	return true;
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? 0 : st.st_ino;
}

static void clean(void)
{
	mod_ensure_unloaded(MOD);
	unlink(STATE);
	unlink(TMP);
	unlink(SHARED "/fifo");
	unlink(VICTIM);
}

/* Load, write SECRET, let the planter put WHAT at .tmp, then unload. */
static int save_with(enum plant what, const char *target, ino_t *planted)
{
	load_or_bail(PARAMS);
	if (put_str(DEV, SECRET) != (ssize_t)strlen(SECRET))
		bail_out("write: %s", strerror(errno));
	if (as_planter(what, TMP, target))
		bail_out("the planter cannot plant at %s", TMP);
	*planted = ino_of(TMP);
	return timed(NULL, 5, TMP);
}

static void test_tmp_regular_file(void)
{
	ino_t planted;

	clean();
	is_int(save_with(P_FILE, NULL, &planted), 0,
	       "a file planted at .tmp (another user's, 0666): the unload saves");
	ok(state_is_roots(planted),
	   "the state file is a new one of root's, mode 0600, not the planted file");
	is_int(as_planter(P_OPEN, STATE, NULL), EACCES,
	       "the planter cannot read the saved buffers (EACCES)");
	ok(access(TMP, F_OK) && errno == ENOENT, "nothing is left at .tmp");
	load_or_bail(PARAMS);
	ok(holds(DEV, SECRET), "the next load restores root's buffer");
	clean();
}

static void test_tmp_hard_link(void)
{
	const char *was = "root's other file\n";
	char buf[64];
	ino_t planted;
	struct stat st;

	clean();
	/* the worst case: hard links to others' files allowed */
	write_str("/proc/sys/fs/protected_hardlinks", "0");
	if (spill(VICTIM, was, strlen(was), 0600))
		bail_out("cannot write %s", VICTIM);
	is_int(save_with(P_LINK, VICTIM, &planted), 0,
	       "a hard link to a file of root's planted at .tmp: the unload saves");
	ok(read_file(VICTIM, buf, sizeof(buf)) == (ssize_t)strlen(was) &&
	   !memcmp(buf, was, strlen(was)),
	   "root's other file is untouched (not truncated, not written)");
	ok(!stat(VICTIM, &st) && st.st_nlink == 1,
	   "and not renamed over the state file (it has its one link again)");
	ok(state_is_roots(planted), "the state file is a new one of root's");
	write_str("/proc/sys/fs/protected_hardlinks", "1");
	clean();
}

static void test_tmp_fifo(void)
{
	ino_t planted;

	clean();
	is_int(save_with(P_FIFO, NULL, &planted), 0,
	       "a FIFO planted at .tmp: the unload neither blocks nor fails");
	ok(state_is_roots(planted), "the state file is a new one of root's");
	clean();
}

static void test_tmp_symlink(void)
{
	ino_t planted;

	clean();
	is_int(save_with(P_SYMLINK, VICTIM, &planted), 0,
	       "a symbolic link planted at .tmp: the unload saves");
	ok(access(VICTIM, F_OK) && errno == ENOENT,
	   "nothing was created where the link pointed");
	ok(state_is_roots(planted), "the state file is a new one of root's");
	clean();
}

/*
 * Load with the state file as planted: the load must end within 5 s,
 * report WHY and start with an empty buffer.
 */
static void refused_load(const char *why, const char *what)
{
	int k = kmsg_open();
	char want[512], *log;
	int ret;

	mod_ensure_unloaded(MOD);
	ret = timed(PARAMS, 5, STATE);
	log = kmsg_collect(k);
	snprintf(want, sizeof(want), "rustecho: %s: %s%s", STATE, why, EMPTY);
	ok(ret == 0 && log_count(log, want) == 1 && holds(DEV, ""),
	   "%s: the load does not block, says \"%s\", the buffer is empty",
	   what, why);
	if (!log_has(log, want))
		diag("log was:\n%s", log ? log : "(none)");
	free(log);
	close(k);
	clean();
}

static void test_restore_planted(void)
{
	unsigned char img[256];
	char why[128];
	size_t len;

	clean();
	if (as_planter(P_FIFO, STATE, NULL))
		bail_out("cannot plant a FIFO");
	refused_load("not a regular file", "a FIFO at persist_path");

	if (as_planter(P_FIFO, SHARED "/fifo", NULL) ||
	    as_planter(P_SYMLINK, STATE, SHARED "/fifo"))
		bail_out("cannot plant a symbolic link to a FIFO");
	refused_load("a symbolic link, not followed",
		     "a symbolic link to a FIFO at persist_path");

	if (as_planter(P_SYMLINK, STATE, "/dev/zero"))
		bail_out("cannot plant a symbolic link to a device");
	refused_load("a symbolic link, not followed",
		     "a symbolic link to a device node at persist_path");

	if (as_planter(P_IMAGE, STATE, NULL))
		bail_out("cannot plant a state file");
	snprintf(why, sizeof(why), "owned by uid %d, not by uid 0 (who loads the module)",
		 PLANTER);
	refused_load(why, "a well-formed state file of another user's");

	write_str("/proc/sys/fs/protected_hardlinks", "0");
	len = make_image(img, "root's saved state\n");
	if (spill(VICTIM, img, len, 0600) || as_planter(P_LINK, STATE, VICTIM))
		bail_out("cannot plant a hard link");
	refused_load("has 2 links, not 1",
		     "a hard link to a well-formed state file of root's");
	write_str("/proc/sys/fs/protected_hardlinks", "1");

	len = make_image(img, "root's saved state\n");
	spill(STATE, img, len, 0666);
	refused_load("writable by others than its owner (mode 0666)",
		     "root's own state file, writable by all");

	if (mknod(STATE, S_IFCHR | 0600, makedev(1, 3)))
		bail_out("mknod: %s", strerror(errno));
	refused_load("not a regular file", "a device node at persist_path");
}

int main(void)
{
	mkdir(SHARED, 01777);
	chmod(SHARED, 01777);
	test_tmp_regular_file();
	test_tmp_hard_link();
	test_tmp_fifo();
	test_tmp_symlink();
	test_restore_planted();
	clean();
	return done_testing();
}
