/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_heap - a binary min-heap of timer nodes; see sched_heap.h.
 * Ties are broken by nothing: two timers due in the same second come
 * out in either order, which is all sched needs (it takes every due
 * timer, a bounded number per turn).
 */
#include <stdlib.h>

#include "sched_heap.h"

/* tmr_init - a node of kind what, in no heap. */
void
tmr_init(struct tmr *t, int what)
{
	t->when = 0;
	t->slot = TMR_OUT;
	t->what = what;
}

void
heap_init(struct heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

/* place - put t at slot i and tell it so. */
static void
place(struct heap *h, size_t i, struct tmr *t)
{
	h->v[i] = t;
	t->slot = i;
}

/* up - move the node at slot i towards the top while it is earlier. */
static void
up(struct heap *h, size_t i)
{
	struct tmr *t = h->v[i];

	while (i > 0 && t->when < h->v[(i - 1) / 2]->when) {
		place(h, i, h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(h, i, t);
}

/* down - move the node at slot i away from the top while it is later. */
static void
down(struct heap *h, size_t i)
{
	struct tmr *t = h->v[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->when < h->v[c]->when)
			c++;
		if (h->v[c]->when >= t->when)
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, t);
}

/*
 * heap_set - put t in the heap due at when, or move it there if it is
 * in already.  Returns 0, or -1 (out of memory) with t unchanged.
 */
int
heap_set(struct heap *h, struct tmr *t, time_t when)
{
	struct tmr **nv;
	size_t ncap;

	if (t->slot != TMR_OUT) {
		t->when = when;
		up(h, t->slot);
		down(h, t->slot);
		return 0;
	}
	if (h->n == h->cap) {
		ncap = h->cap < 64 ? 64 : h->cap * 2;
		if ((nv = reallocarray(h->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		h->v = nv;
		h->cap = ncap;
	}
	t->when = when;
	place(h, h->n++, t);
	up(h, t->slot);
	return 0;
}

/* heap_del - take t out of the heap (nothing if it is not in). */
void
heap_del(struct heap *h, struct tmr *t)
{
	struct tmr *last;
	size_t i = t->slot;

	if (i == TMR_OUT)
		return;
	t->slot = TMR_OUT;
	if (i == --h->n)
		return;
	/* the last node fills the hole, then finds its place */
	last = h->v[h->n];
	place(h, i, last);
	up(h, i);
	down(h, last->slot);
}

/* heap_top - the earliest node, or NULL when the heap is empty. */
struct tmr *
heap_top(const struct heap *h)
{
	return h->n > 0 ? h->v[0] : NULL;
}

void
heap_free(struct heap *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		h->v[i]->slot = TMR_OUT;
	free(h->v);
	heap_init(h);
}
