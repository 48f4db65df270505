/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mydevice's ring buffer: the MYDEVICE_BUF_SIZE (256) bytes behind read()
 * and write() of /dev/mydevice, a byte FIFO.
 *
 * Pure data operations: nothing here locks, sleeps on a lock or keeps
 * state outside the struct.  The caller serialises every call on one ring
 * (dev.c holds dev->lock, across the user copies too); then bytes enter
 * the ring only once all of them have arrived and leave it only once they
 * have reached the reader.  A zeroed struct is an empty ring.
 */
#ifndef MYDEVICE_RING_H
#define MYDEVICE_RING_H

#include <linux/types.h>
#include <linux/mydevice.h>

struct iov_iter;

#define MYDEV_RING_SIZE	MYDEVICE_BUF_SIZE

/**
 * struct mydev_ring - a byte FIFO of MYDEV_RING_SIZE bytes
 * @head: index in @data of the oldest byte held
 * @len: how many bytes are held, from @head on, wrapping at the end
 * @data: the storage
 */
struct mydev_ring {
	unsigned int head;
	unsigned int len;
	u8 data[MYDEV_RING_SIZE];
};

ssize_t mydev_ring_write(struct mydev_ring *ring, struct iov_iter *from);
ssize_t mydev_ring_read(struct mydev_ring *ring, struct iov_iter *to);
size_t mydev_ring_replace(struct mydev_ring *ring, const void *src, size_t n);

#endif /* MYDEVICE_RING_H */
