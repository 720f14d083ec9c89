/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_heap - sched's timers: a binary min-heap of timer nodes keyed
 * by time, so "what is due next" is the top and costs nothing to find,
 * and setting, moving or removing one timer is O(log n) whatever the
 * size of the queue.  A node lives inside the object it times (a
 * message, a domain) and knows its own slot, so it can be moved or
 * taken out without a search.
 */
#ifndef QPOST_SCHED_HEAP_H
#define QPOST_SCHED_HEAP_H

#include <stddef.h>
#include <time.h>

#define TMR_OUT		((size_t)-1)	/* slot of a node not in the heap */

struct tmr {
	time_t		 when;
	size_t		 slot;		/* index in the heap, or TMR_OUT */
	int		 what;		/* the owner's kind: TMR_MSG, ... */
};

struct heap {
	struct tmr	**v;
	size_t		  n, cap;
};

void		 tmr_init(struct tmr *, int);
void		 heap_init(struct heap *);
int		 heap_set(struct heap *, struct tmr *, time_t);
void		 heap_del(struct heap *, struct tmr *);
struct tmr	*heap_top(const struct heap *);
void		 heap_free(struct heap *);

#endif
