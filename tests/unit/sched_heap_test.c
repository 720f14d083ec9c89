/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_heap_test - tests of queue/sched_heap.c, sched's timer heap:
 * the top is always the earliest timer, every node knows its slot,
 * and that stays true through any mix of inserts, moves (earlier and
 * later) and removals, checked against a plain array after each step.
 */
#include <atf-c.h>
#include <stdlib.h>

#include "sched_heap.h"
#include "lsan_atf.h"

#define NT	500

/* check - heap order, slots, and the top is the earliest of those in. */
static void
check(const struct heap *h, const struct tmr *t, size_t n)
{
	const struct tmr *top;
	size_t i, in = 0;
	time_t min = 0;

	for (i = 0; i < h->n; i++) {
		ATF_REQUIRE_EQ(h->v[i]->slot, i);
		if (i > 0)
			ATF_REQUIRE(h->v[(i - 1) / 2]->when <= h->v[i]->when);
	}
	for (i = 0; i < n; i++) {
		if (t[i].slot == TMR_OUT)
			continue;
		ATF_REQUIRE(t[i].slot < h->n && h->v[t[i].slot] == &t[i]);
		if (in++ == 0 || t[i].when < min)
			min = t[i].when;
	}
	ATF_REQUIRE_EQ(in, h->n);
	top = heap_top(h);
	if (in == 0)
		ATF_REQUIRE(top == NULL);
	else
		ATF_REQUIRE(top != NULL && top->when == min);
}

ATF_TC_WITHOUT_HEAD(order);
ATF_TC_BODY(order, tc)
{
	static struct tmr t[NT];
	struct heap h;
	struct tmr *top;
	time_t last = 0;
	size_t i;

	heap_init(&h);
	ATF_REQUIRE(heap_top(&h) == NULL);
	for (i = 0; i < NT; i++) {
		tmr_init(&t[i], 1);
		ATF_REQUIRE_EQ(heap_set(&h, &t[i],
		    (time_t)arc4random_uniform(100)), 0);
	}
	check(&h, t, NT);
	/* popping gives the times in order */
	for (i = 0; i < NT; i++) {
		top = heap_top(&h);
		ATF_REQUIRE(top != NULL && top->when >= last);
		last = top->when;
		heap_del(&h, top);
		ATF_REQUIRE_EQ(top->slot, TMR_OUT);
	}
	ATF_REQUIRE(heap_top(&h) == NULL);
	heap_free(&h);
}

ATF_TC_WITHOUT_HEAD(random_ops);
ATF_TC_BODY(random_ops, tc)
{
	static struct tmr t[NT];
	struct heap h;
	size_t i, k;

	heap_init(&h);
	for (i = 0; i < NT; i++)
		tmr_init(&t[i], 1);
	for (i = 0; i < 20000; i++) {
		k = arc4random_uniform(NT);
		switch (arc4random_uniform(3)) {
		case 0:	/* insert, or move earlier or later */
		case 1:
			ATF_REQUIRE_EQ(heap_set(&h, &t[k],
			    (time_t)arc4random_uniform(1000)), 0);
			break;
		default:	/* remove (twice is harmless) */
			heap_del(&h, &t[k]);
			heap_del(&h, &t[k]);
			break;
		}
		if (i % 97 == 0)
			check(&h, t, NT);
	}
	check(&h, t, NT);
	heap_free(&h);
	for (i = 0; i < NT; i++)
		ATF_REQUIRE_EQ(t[i].slot, TMR_OUT);
}

ATF_TC_WITHOUT_HEAD(equal_times);
ATF_TC_BODY(equal_times, tc)
{
	static struct tmr t[64];
	struct heap h;
	size_t i;

	/* many timers due the same second, removed from the middle */
	heap_init(&h);
	for (i = 0; i < 64; i++) {
		tmr_init(&t[i], 1);
		ATF_REQUIRE_EQ(heap_set(&h, &t[i], 42), 0);
	}
	for (i = 0; i < 64; i += 3)
		heap_del(&h, &t[i]);
	check(&h, t, 64);
	ATF_REQUIRE_EQ(heap_set(&h, &t[5], 7), 0);
	check(&h, t, 64);
	ATF_REQUIRE(heap_top(&h) == &t[5]);
	ATF_REQUIRE_EQ(heap_set(&h, &t[5], 99), 0);
	check(&h, t, 64);
	ATF_REQUIRE_EQ(heap_top(&h)->when, 42);
	heap_free(&h);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, order);
	ATF_TP_ADD_TC(tp, random_ops);
	ATF_TP_ADD_TC(tp, equal_times);
	return atf_no_error();
}
