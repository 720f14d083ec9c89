/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_spare - drop files kept for their owner's next message.
 *
 * Once a message is queued, sched would remove its drop file, and the
 * next injection would create a new one: an inode released and another
 * allocated for every message, which on ext4 without a journal costs
 * far more than the bytes (each allocation passes over every inode of
 * the block group freed in the last minutes, recently_deleted() in
 * fs/ext4/ialloc.c, and the Maildirs share that cost).  So sched moves
 * a small finished drop file to spare/<uid>.<slot> instead, and the
 * next qinject run by that uid takes one back (probing its slots) with
 * a rename and writes over it (atomic_reuse).  spare/ is mode 3777 like
 * drop/: the sticky bit lets nobody but the owner (and sched, the
 * folder's owner) move a file out, and qinject moves, and atomic_reuse
 * writes over, only the caller's own plain file with one link, so a
 * file planted under another uid's name is never written.  Nothing
 * here needs to be durable: a spare lost in a crash is a new inode the
 * next time.  Nor does a crash that undoes half of qinject's take do
 * harm: without a journal (ext2, ext4 without one) a rename from one
 * folder to another is two writes, and when spare/ keeps its name
 * beside the drop file's, fsck counts two links.  sched removes every
 * spare with more than one link when it starts, before its first look
 * at drop/ (sched_spare.c), so the drop file is taken as usual.
 */
#ifndef QPOST_QUEUE_SPARE_H
#define QPOST_QUEUE_SPARE_H

#include <sys/types.h>

#define SPARE_SLOTS	256		/* names per uid: <uid>.0 to .255 */
#define SPARE_FILE_MAX	(128 * 1024)	/* larger drop files are removed */
#define SPARE_NAME_MAX	32

void	spare_name(char *, size_t, uid_t, unsigned int);
int	spare_name_parse(const char *, uid_t *);
int	spare_take(int, int, const char *);
int	spare_keep(int, int, const char *, uid_t);

#endif
