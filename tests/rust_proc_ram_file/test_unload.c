// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading rust_proc_ram_file.ko while the file is open and in use (the
 * seed 003 tester's sixth check, and the unload rules): old file
 * descriptors get EIO from read and write (lseek: EINVAL, procfs's
 * answer), new opens get ENOENT until the module is back, a reloaded
 * module starts empty, nothing crashes (run-all checks the kernel log)
 * and nothing leaks (the pages are charged to our memory cgroup, which
 * must be back where it started).
 *
 *	test_unload [CYCLES]
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#include "tap.h"
#include "guest.h"

#define MOD	"rust_proc_ram_file"
#define F	"/proc/rust-proc-file"
#define CG	"/sys/fs/cgroup/rpf-unload"
#define PG	4096L
#define NTHR	4
#define BUFSZ	(64 * 1024)

static long long fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* Old descriptors after unload, and after a reload. */
static void test_old_fds(void)
{
	char buf[16] = "data";
	struct iovec iov = { buf, 4 };
	int rw, ro, fresh;
	struct stat st;

	mod_reload_or_bail(MOD, NULL);
	rw = open(F, O_RDWR);
	ro = open(F, O_RDONLY);
	if (rw < 0 || ro < 0)
		bail_out("open %s: %s", F, strerror(errno));
	is_int(write(rw, buf, 4), 4, "write 4 bytes");
	is_int(mod_unload(MOD), 0, "rmmod succeeds with the file open");
	is_errno(read(ro, buf, 4), EIO, "old fd: read gives EIO");
	is_errno(pread(ro, buf, 4, 0), EIO, "old fd: pread gives EIO");
	is_errno(readv(ro, &iov, 1), EIO, "old fd: readv gives EIO");
	is_errno(write(rw, buf, 4), EIO, "old fd: write gives EIO");
	is_errno(pwrite(rw, buf, 4, 0), EIO, "old fd: pwrite gives EIO");
	is_errno(writev(rw, &iov, 1), EIO, "old fd: writev gives EIO");
	is_errno(lseek(rw, 0, SEEK_SET), EINVAL,
		 "old fd: lseek gives EINVAL (procfs's answer for a removed entry)");
	ok(mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0) == MAP_FAILED &&
	   errno == EIO, "old fd: mmap gives EIO");
	ok(fstat(rw, &st) == 0 && S_ISREG(st.st_mode), "old fd: fstat still works");
	/*
	 * fsync goes through the file operations the module gave the open
	 * file, which outlive it: tmpfs's answer, 0, still (README.md).
	 */
	is_int(fsync(rw), 0, "old fd: fsync still answers 0 (the module's table outlives it)");
	is_int(fdatasync(ro), 0, "old fd: fdatasync too");
	is_errno(open(F, O_RDONLY), ENOENT, "new open: ENOENT");
	is_errno(open(F, O_RDWR | O_CREAT, 0666), ENOENT,
		 "new open with O_CREAT: ENOENT (procfs creates nothing)");
	mod_reload_or_bail(MOD, NULL);
	fresh = open(F, O_RDWR);
	ok(fresh >= 0, "reloaded: opens again");
	is_int(read(fresh, buf, 4), 0, "reloaded: starts empty");
	is_errno(read(ro, buf, 4), EIO, "the old fd stays dead after the reload");
	is_int(write(fresh, "new", 3), 3, "the new one writes");
	is_int(fsize(F), 3, "size 3");
	is_int(close(rw), 0, "old fd closes");
	close(ro);
	close(fresh);
	is_int(mod_unload(MOD), 0, "unloads");
}

/* Threads doing I/O while the module is unloaded and reloaded. */
static volatile int stop;
static volatile int cycle;

struct worker {
	pthread_t t;
	int id;
	volatile int ok_cycle;	/* last cycle with a successful op */
	long long ops, eio, enoent, bad;
	int bad_errno;
	char bad_op[32];
};

static struct worker w[NTHR];

static void note(struct worker *me, const char *op, int err)
{
	if (!me->bad) {
		me->bad_errno = err;
		snprintf(me->bad_op, sizeof(me->bad_op), "%s", op);
	}
	me->bad++;
}

static void *io_worker(void *arg)
{
	/* mapped, not on the stack, so that unmapping uncharges it */
	char *buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct worker *me = arg;
	unsigned int r = me->id * 2654435761u + 1;
	int fd = -1;

	if (buf == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(buf, 'a' + me->id, BUFSZ);
	while (!stop) {
		static const int flags[] = {
			O_RDWR, O_RDWR | O_APPEND, O_RDWR | O_TRUNC, O_RDONLY
		};
		struct iovec iov[2] = { { buf, 100 }, { buf + 100, 5000 } };
		const char *op;
		long long ret;

		r = r * 1103515245 + 12345;
		if (fd < 0) {
			fd = open(F, flags[(r >> 8) % 4]);
			if (fd < 0) {
				if (errno == ENOENT)
					me->enoent++;
				else
					note(me, "open", errno);
				usleep(200);
			}
			continue;
		}
		switch ((r >> 12) % 8) {
		case 0:
			op = "read";
			ret = read(fd, buf, (r >> 4) % BUFSZ);
			break;
		case 1:
			op = "pread";
			ret = pread(fd, buf, BUFSZ, (r >> 3) % (1 << 20));
			break;
		case 2:
			op = "readv";
			ret = readv(fd, iov, 2);
			break;
		case 3:
			op = "write";
			ret = write(fd, buf, (r >> 4) % BUFSZ);
			break;
		case 4:
			op = "pwrite";
			ret = pwrite(fd, buf, BUFSZ, (r >> 3) % (1 << 20));
			break;
		case 5:
			op = "writev";
			ret = writev(fd, iov, 2);
			break;
		case 6:
			op = "lseek";
			ret = lseek(fd, (r >> 5) % (1 << 20),
				    (r >> 2) % 2 ? SEEK_SET : SEEK_HOLE);
			break;
		default:
			op = "close";
			ret = close(fd);
			fd = -1;
			break;
		}
		if (ret >= 0) {
			me->ops++;
			me->ok_cycle = cycle;
			continue;
		}
		if (errno == EIO || (errno == EINVAL && !strcmp(op, "lseek"))) {
			me->eio++;	/* an fd of an unloaded module */
			close(fd);
			fd = -1;
		} else if (errno == EBADF && fd >= 0 && strstr(op, "write")) {
			/* an O_RDONLY fd: not an error */
		} else if (errno == ENXIO && !strcmp(op, "lseek")) {
			/* SEEK_HOLE at or past the end */
		} else {
			note(me, op, errno);
		}
	}
	if (fd >= 0)
		close(fd);
	munmap(buf, BUFSZ);
	return NULL;
}

static bool wait_for(bool (*cond)(void), int ms)
{
	while (ms-- > 0) {
		if (cond())
			return true;
		usleep(1000);
	}
	return cond();
}

static bool all_ran_this_cycle(void)
{
	int i;

	for (i = 0; i < NTHR; i++)
		if (w[i].ok_cycle != cycle)
			return false;
	return true;
}

static long long enoent_seen;

static bool someone_saw_enoent(void)
{
	long long n = 0;
	int i;

	for (i = 0; i < NTHR; i++)
		n += w[i].enoent;
	return n > enoent_seen;
}

static long long cg_current(void)
{
	return read_ll(CG "/memory.current");
}

static void test_unload_under_load(int cycles)
{
	long long ops = 0, eio = 0, enoent = 0, bad = 0, base = -1, after;
	int c, i, unload_fail = 0, load_fail = 0, stalls = 0;
	bool memcg = false;
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (!write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory") &&
	    (!mkdir(CG, 0755) || errno == EEXIST) &&
	    !write_str(CG "/cgroup.procs", pid))
		memcg = true;

	mod_ensure_unloaded(MOD);
	if (memcg)
		base = cg_current();
	mod_reload_or_bail(MOD, NULL);
	for (i = 0; i < NTHR; i++) {
		w[i] = (struct worker){ .id = i, .ok_cycle = -1 };
		pthread_create(&w[i].t, NULL, io_worker, &w[i]);
	}
	for (c = 1; c <= cycles; c++) {
		/* every thread is doing I/O on the loaded module ... */
		stalls += !wait_for(all_ran_this_cycle, 5000);
		if (mod_unload(MOD))
			unload_fail++;
		/* ... and someone tried to open it while it was gone */
		enoent_seen = 0;
		for (i = 0; i < NTHR; i++)
			enoent_seen += w[i].enoent;
		stalls += !wait_for(someone_saw_enoent, 5000);
		cycle = c;
		if (mod_load(MOD, NULL))
			load_fail++;
	}
	stop = 1;
	for (i = 0; i < NTHR; i++) {
		pthread_join(w[i].t, NULL);
		ops += w[i].ops;
		eio += w[i].eio;
		enoent += w[i].enoent;
		bad += w[i].bad;
		if (w[i].bad)
			diag("thread %d: %lld unexpected errors, first: %s: %s",
			     i, w[i].bad, w[i].bad_op, strerror(w[i].bad_errno));
	}
	diag("%d cycles: %lld successful operations, %lld EIO/EINVAL on old fds, %lld ENOENT",
	     cycles, ops, eio, enoent);
	is_int(unload_fail, 0, "%d unloads under I/O all succeeded", cycles);
	is_int(load_fail, 0, "%d reloads all succeeded", cycles);
	is_int(stalls, 0, "every thread got work done in every cycle");
	is_int(bad, 0, "no error but EIO on old fds and ENOENT while unloaded");
	ok(eio >= cycles, "old fds got EIO after unloads (%lld times)", eio);
	ok(enoent >= cycles, "opens got ENOENT while unloaded (%lld times)", enoent);
	ok(fsize(F) >= 0, "the file is there after the last reload");
	is_int(mod_unload(MOD), 0, "unloads");
	mod_reload_or_bail(MOD, NULL);
	is_int(fsize(F), 0, "a reloaded module starts empty");
	is_int(mod_unload(MOD), 0, "unloads");
	if (memcg) {
		after = cg_current();
		diag("memory.current %lld before, %lld after", base, after);
		ok(after - base < 512 << 10,
		   "every page written during the cycles was freed (memcg within 512 KiB)");
		write_str("/sys/fs/cgroup/cgroup.procs", pid);
		rmdir(CG);
	} else {
		skip("no cgroup2 memory controller", "pages freed");
	}
}

/*
 * Issue 13 finding 5: the file through which users create state
 * (/proc/rust-proc-file: pages written) is registered last at load and
 * removed first at unload, so that it is never there while the load can
 * still fail (an error path would have to free what was written through
 * it meanwhile) and never outlives the rest at unload.  The info file is
 * the module's other entry.  A watcher thread looks at both while this
 * thread loads and unloads in a loop:
 *   loading:   rust-proc-file there  =>  rust-proc-file-info there
 *   unloading: rust-proc-file-info gone  =>  rust-proc-file gone
 * Each is checked in the order that makes it sound (the first path
 * looked up first); a check that straddles a change of phase is thrown
 * away (the generation moved).
 */
#define INFO	"/proc/rust-proc-file-info"

static volatile int order_phase;	/* 0 idle, 1 loading, 2 unloading */
static volatile unsigned int order_gen;
static volatile int order_stop;
static long long order_checks[3], order_bad[3];

static void *order_watcher(void *arg)
{
	(void)arg;
	while (!order_stop) {
		unsigned int g = order_gen;
		int phase = order_phase;
		bool bad;

		__sync_synchronize();
		if (phase == 1)
			bad = !access(F, F_OK) && access(INFO, F_OK);
		else if (phase == 2)
			bad = access(INFO, F_OK) && !access(F, F_OK);
		else
			continue;
		__sync_synchronize();
		if (g != order_gen)
			continue;
		order_checks[phase]++;
		order_bad[phase] += bad;
	}
	return NULL;
}

static void order_set(int phase)
{
	__sync_synchronize();
	order_gen++;
	order_phase = phase;
	__sync_synchronize();
}

static void test_registration_order(int cycles)
{
	int c, fails = 0;
	pthread_t t;

	mod_ensure_unloaded(MOD);
	pthread_create(&t, NULL, order_watcher, NULL);
	for (c = 0; c < cycles; c++) {
		order_set(1);
		fails += mod_load(MOD, NULL) != 0;
		order_set(0);
		order_set(2);
		fails += mod_unload(MOD) != 0;
		order_set(0);
	}
	order_stop = 1;
	pthread_join(t, NULL);
	diag("%d loads and unloads watched: %lld checks while loading, %lld while unloading",
	     cycles, order_checks[1], order_checks[2]);
	is_int(fails, 0, "%d loads and unloads succeeded", cycles);
	is_int(order_bad[1], 0,
	       "loading: /proc/rust-proc-file never seen without the info file (registered last)");
	is_int(order_bad[2], 0,
	       "unloading: /proc/rust-proc-file never seen after the info file went (removed first)");
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	/* the debug kernel's sanitizers make each cycle ~15 times slower */
	int cycles = argc > 1 ? atoi(argv[1]) :
		     access("/sys/kernel/debug/kmemleak", F_OK) ? 50 : 15;

	test_old_fds();
	test_registration_order(cycles * 4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	test_unload_under_load(cycles);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("%.1f s", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	mod_ensure_unloaded(MOD);
	return done_testing();
}
