// SPDX-License-Identifier: GPL-2.0
/*
 * mydevice's ring buffer: appending bytes from an iov_iter, taking them
 * off to an iov_iter, replacing the whole contents (COPY_BUF).
 *
 * No function here takes a lock: the caller holds the one lock that
 * serialises a ring's users (dev.c: dev->lock) across each call,
 * including its user copies.  The semantics are the device's read() and
 * write() (mydevice/README.md); mydevice_kunit.c compiles this file into
 * its test module and checks them.
 */
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "ring.h"

/**
 * mydev_ring_write() - append bytes from an iov_iter
 * @ring: the ring; the caller serialises its users
 * @from: the source; advanced past the bytes appended (after -EFAULT, by
 *	an unspecified amount)
 *
 * Takes min(iov_iter_count(@from), free space) bytes.  They land in the
 * free space and count only once all of them have arrived, so a fault
 * leaves the contents as they were.
 *
 * Return: the number of bytes appended; 0 if @from is empty; -ENOSPC if
 * the ring is full; -EFAULT if the source faulted (nothing appended).
 */
ssize_t mydev_ring_write(struct mydev_ring *ring, struct iov_iter *from)
{
	size_t want = iov_iter_count(from);
	size_t n, tail, first;

	if (!want)
		return 0;
	n = min_t(size_t, want, MYDEV_RING_SIZE - ring->len);
	if (!n)
		return -ENOSPC;
	tail = (ring->head + ring->len) % MYDEV_RING_SIZE;
	first = min_t(size_t, n, MYDEV_RING_SIZE - tail);
	if (!copy_from_iter_full(ring->data + tail, first, from) ||
	    !copy_from_iter_full(ring->data, n - first, from))
		return -EFAULT;
	ring->len += n;
	return n;
}

/**
 * mydev_ring_read() - take bytes off the front into an iov_iter
 * @ring: the ring; the caller serialises its users
 * @to: the destination; advanced by what was delivered
 *
 * Copies min(iov_iter_count(@to), bytes held) bytes, oldest first.  Only
 * the bytes that reached @to leave the ring: a destination that faults
 * part way takes just the ones before the fault.
 *
 * Return: the number of bytes delivered; 0 if the ring is empty or @to
 * has no room; -EFAULT if there was something to deliver and nothing
 * reached @to (nothing taken).
 */
ssize_t mydev_ring_read(struct mydev_ring *ring, struct iov_iter *to)
{
	size_t n = min_t(size_t, iov_iter_count(to), ring->len);
	size_t first = min_t(size_t, n, MYDEV_RING_SIZE - ring->head);
	size_t copied;

	copied = copy_to_iter(ring->data + ring->head, first, to);
	if (copied == first)
		copied += copy_to_iter(ring->data, n - first, to);
	if (n && !copied)
		return -EFAULT;
	ring->head = (ring->head + copied) % MYDEV_RING_SIZE;
	ring->len -= copied;
	return copied;
}

/**
 * mydev_ring_replace() - make bytes from kernel memory the whole contents
 * @ring: the ring; the caller serialises its users
 * @src: the bytes
 * @n: how many; only the first MYDEV_RING_SIZE are used
 *
 * The old contents are dropped and the new ones start at index 0.
 *
 * Return: the number of bytes now held, min(@n, MYDEV_RING_SIZE).
 */
size_t mydev_ring_replace(struct mydev_ring *ring, const void *src, size_t n)
{
	n = min_t(size_t, n, MYDEV_RING_SIZE);
	memcpy(ring->data, src, n);
	ring->head = 0;
	ring->len = n;
	return n;
}
