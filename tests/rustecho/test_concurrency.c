// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rustecho.ko's reader/writer lock:
 *  - many readers race a writer that keeps replacing the buffer with
 *    versions of different content and length: every read() must return
 *    one whole version, never a mix of two;
 *  - readers and a writer of a 1-byte buffer meet at the lock: contention
 *    is counted, and logged rate-limited;
 *  - with userfaultfd, a reader is parked inside its copy to user memory:
 *    it holds no lock, so a second reader, a writer and a third reader
 *    after the writer all get through while it is parked, and it then
 *    completes with the version it started on;
 *  - verbose toggled through sysfs while readers and writers run (on the
 *    KCSAN kernel: no data race on it).
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/userfaultfd.h>

#include "rustecho_test.h"

#define READERS 4
#define VERSIONS 26
#define RUN_SECONDS 3

/* version v: VLEN(v) bytes of 'a' + v */
#define VLEN(v) (1000 + (v) * 2999)
#define VMAX VLEN(VERSIONS - 1)

static atomic_int stop;
static atomic_long reads_done, mixed, wrong_len, versions_seen_mask;

static void *reader(void *arg)
{
	char *buf = malloc(VMAX + 1);
	int fd = open(DEV, O_RDONLY);

	(void)arg;
	if (!buf || fd < 0)
		bail_out("reader setup: %s", strerror(errno));
	while (!atomic_load(&stop)) {
		ssize_t n = pread(fd, buf, VMAX + 1, 0), i;
		int v;

		if (n <= 0) {
			atomic_fetch_add(&wrong_len, 1);
			continue;
		}
		v = buf[0] - 'a';
		if (v < 0 || v >= VERSIONS || n != VLEN(v))
			atomic_fetch_add(&wrong_len, 1);
		for (i = 1; i < n; i++)
			if (buf[i] != buf[0]) {
				atomic_fetch_add(&mixed, 1);
				break;
			}
		if (v >= 0 && v < VERSIONS)
			atomic_fetch_or(&versions_seen_mask, 1L << v);
		atomic_fetch_add(&reads_done, 1);
	}
	close(fd);
	free(buf);
	return NULL;
}

static void test_readers_see_whole_versions(void)
{
	pthread_t th[READERS];
	char *ver = malloc(VMAX);
	long writes = 0, bad_writes = 0;
	int fd, i, v = 0;
	time_t end;

	if (!ver)
		bail_out("malloc");
	load_or_bail("verbose=0");
	memset(ver, 'a', VLEN(0));
	if (put(DEV, ver, VLEN(0)) != VLEN(0))
		bail_out("first write: %s", strerror(errno));
	for (i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, reader, NULL);
	fd = open(DEV, O_WRONLY);
	end = time(NULL) + RUN_SECONDS;
	while (time(NULL) < end) {
		v = (v + 7) % VERSIONS;
		memset(ver, 'a' + v, VLEN(v));
		if (write(fd, ver, VLEN(v)) == VLEN(v))
			writes++;
		else
			bad_writes++;
	}
	close(fd);
	atomic_store(&stop, 1);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);

	diag("%ld writes, %ld reads, %lld contention events", writes,
	     atomic_load(&reads_done), stat_of("rustecho.lock_contentions"));
	ok(writes > 100 && bad_writes == 0, "the writer replaced the buffer %ld times",
	   writes);
	ok(atomic_load(&reads_done) > 100, "%d readers read it %ld times",
	   READERS, atomic_load(&reads_done));
	ok(__builtin_popcountl(atomic_load(&versions_seen_mask)) > 1,
	   "the readers saw %d different versions",
	   __builtin_popcountl(atomic_load(&versions_seen_mask)));
	is_int(atomic_load(&mixed), 0, "no read mixed bytes of two versions");
	is_int(atomic_load(&wrong_len), 0,
	       "every read returned the whole length of its version");

	free(ver);
	unload_or_bail();
}

/*
 * Contention: readers and a writer of a 1-byte buffer spend most of their
 * time taking the lock, so they meet there; every meeting is counted, the
 * log lines about them are rate-limited.
 */
static void *tiny_reader(void *arg)
{
	int fd = open(DEV, O_RDONLY);
	char c;

	(void)arg;
	while (!atomic_load(&stop))
		if (pread(fd, &c, 1, 0) != 1)
			atomic_fetch_add(&wrong_len, 1);
	close(fd);
	return NULL;
}

static void test_contention_logged(void)
{
	pthread_t th[READERS];
	long long events = 0;
	long lines = 0, allowed;
	time_t start, end;
	int fd, i, k;
	char *log;

	load_or_bail("verbose=0");
	put_str(DEV, "a");
	atomic_store(&stop, 0);
	atomic_store(&wrong_len, 0);
	k = kmsg_open();
	for (i = 0; i < READERS; i++)
		pthread_create(&th[i], NULL, tiny_reader, NULL);
	fd = open(DEV, O_WRONLY);
	start = time(NULL);
	end = start + 30;
	while (time(NULL) < end && events <= 20) {
		for (i = 0; i < 200; i++)
			if (write(fd, "b", 1) != 1)
				atomic_fetch_add(&wrong_len, 1);
		events = stat_of("rustecho.lock_contentions");
	}
	close(fd);
	atomic_store(&stop, 1);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	/* printk's rate limit: 10 lines per 5 s */
	allowed = 10 * ((time(NULL) - start) / 5 + 1);
	log = kmsg_collect(k);
	for (char *p = log; p && (p = strstr(p, "lock contention, a ")); p++)
		lines++;
	is_int(atomic_load(&wrong_len), 0, "every 1-byte read and write succeeded");
	ok(events > 20, "readers and a writer meet at the lock: %lld contention events",
	   events);
	/* the first 10 are always logged, then at most 10 per 5 s */
	ok(lines >= (events < 10 ? events : 10) && lines <= events &&
	   lines <= allowed,
	   "logged, rate-limited: %ld lines for %lld events (%ld allowed)",
	   lines, events, allowed);
	free(log);
	unload_or_bail();
}

/* ---- a reader parked in a page fault, with userfaultfd ---- */

struct park {
	char *dst;
	ssize_t ret;
	atomic_int done;
};

static void *parked_reader(void *arg)
{
	struct park *p = arg;
	int fd = open(DEV, O_RDONLY);

	p->ret = pread(fd, p->dst, 8192, 0);
	close(fd);
	atomic_store(&p->done, 1);
	return NULL;
}

static void *waiting_writer(void *arg)
{
	struct park *p = arg;
	char y[100];

	memset(y, 'Y', sizeof(y));
	p->ret = put(DEV, y, sizeof(y));
	atomic_store(&p->done, 1);
	return NULL;
}

static void test_parked_reader(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_copy copy;
	struct uffd_msg msg;
	struct park r = { 0 }, w = { 0 };
	pthread_t rt, wt;
	char x[8192], buf[8192], y[100];
	struct pollfd pfd;
	char *map, *src;
	int uffd, fd, i, k;
	ssize_t n;
	char *log;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		skip("no userfaultfd", "parked reader tests");
		return;
	}
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || src == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(map + page, 0, page);	/* only the first page will fault */
	memset(src, 0, page);
	reg.range.start = (unsigned long)map;
	reg.range.len = 2 * page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		bail_out("UFFDIO_REGISTER: %s", strerror(errno));

	load_or_bail(NULL);
	memset(x, 'X', sizeof(x));
	is_int(put(DEV, x, sizeof(x)), 8192, "write 8192 x X");

	k = kmsg_open();
	r.dst = map;
	pthread_create(&rt, NULL, parked_reader, &r);
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ok(poll(&pfd, 1, 10000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	   msg.event == UFFD_EVENT_PAGEFAULT,
	   "reader 1 is parked in a page fault inside read(), holding the lock");

	fd = open(DEV, O_RDONLY);
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	ok(n == 8192 && !memcmp(buf, x, 8192),
	   "reader 2 reads the whole buffer meanwhile");

	pthread_create(&wt, NULL, waiting_writer, &w);
	for (i = 0; i < 500 && !atomic_load(&w.done); i++)
		usleep(10000);
	ok(atomic_load(&w.done) && w.ret == 100,
	   "a writer replaces the buffer meanwhile: it does not wait for reader 1");
	memset(y, 'Y', sizeof(y));
	fd = open(DEV, O_RDONLY);
	n = atomic_load(&w.done) ? pread(fd, buf, sizeof(buf), 0) : -1;
	close(fd);
	ok(n == 100 && !memcmp(buf, y, 100),
	   "reader 3, after the writer, reads the writer's 100 Y meanwhile");
	ok(!atomic_load(&r.done), "(reader 1 is still parked)");
	is_int(stat_of("rustecho.lock_contentions"), 0,
	       "nobody had to wait for the lock");

	copy.dst = (unsigned long)map;
	copy.src = (unsigned long)src;
	copy.len = page;
	copy.mode = 0;
	ok(ioctl(uffd, UFFDIO_COPY, &copy) == 0, "resolve the page fault");
	pthread_join(rt, NULL);
	pthread_join(wt, NULL);
	ok(r.ret == 8192 && !memcmp(map, x, 8192),
	   "reader 1 completes with the version it started on, all 8192 X");
	n = cat(DEV, x, sizeof(x));
	ok(n == 100 && !memcmp(x, y, 100), "the buffer is the writer's 100 Y");
	log = kmsg_collect(k);
	ok(!log_has(log, "lock contention"), "dmesg: no contention");
	free(log);
	close(k);
	unload_or_bail();
	munmap(map, 2 * page);
	munmap(src, page);
	close(uffd);
}

/* ---- verbose changed at run time while readers and writers log ---- */

#define VERBOSE "/sys/module/rustecho/parameters/verbose"

static atomic_long toggles;

static void *toggler(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		if (write_str(VERBOSE, "0") || write_str(VERBOSE, "1"))
			break;
		atomic_fetch_add(&toggles, 1);
	}
	return NULL;
}

static void test_verbose_toggled(void)
{
	char buf[64];
	pthread_t th;
	int i, good = 0;

	load_or_bail("verbose=1");
	atomic_store(&stop, 0);
	pthread_create(&th, NULL, toggler, NULL);
	for (i = 0; i < 300; i++)
		good += put_str(DEV, "toggle\n") == 7 && holds(DEV, "toggle\n");
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	is_int(good, 300, "300 writes and reads while verbose flips %ld times",
	       atomic_load(&toggles));
	ok(atomic_load(&toggles) > 0 && read_file(VERBOSE, buf, sizeof(buf)) > 0 &&
	   buf[0] == 'Y', "verbose reads back Y, its last value");
	ok(!write_str(VERBOSE, "n") && read_file(VERBOSE, buf, sizeof(buf)) > 0 &&
	   buf[0] == 'N', "verbose=n is taken (N)");
	is_int(write_str(VERBOSE, "maybe"), -EINVAL,
	       "verbose=maybe is refused with EINVAL");
	unload_or_bail();
}

int main(void)
{
	test_readers_see_whole_versions();
	test_contention_logged();
	test_parked_reader();
	test_verbose_toggled();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
