/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_rate - connections a minute from one client (smtpd -L -R).
 *
 * Each client has a count and the start of its window: the window is
 * the minute after the first connection it counts, and a connection
 * after it starts a new one (Postfix's anvil counts the same way).  The
 * counts live in a table of RATE_SLOTS, found by a hash of the client
 * and at most RATE_PROBES slots on: a new client takes a free slot, or
 * one whose window is over, or else the one whose window started first.
 * So the table never grows, and a flood of clients from many addresses
 * can only make the acceptor forget some counts, never refuse a client
 * that did not exceed its own.
 */
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "smtpd_rate.h"

#define RATE_PROBES	16

int
rate_init(struct rate *r, long most)
{
	r->most = most;
	r->s = calloc(RATE_SLOTS, sizeof(r->s[0]));
	return r->s == NULL ? -1 : 0;
}

int
rate_allow(struct rate *r, const struct sockaddr_storage *peer, long long now)
{
	unsigned char key[PERCLIENT_KEY];
	struct rate_slot *sl, *take = NULL;
	size_t h, i;

	perclient_key(peer, key);
	h = (size_t)(fnv1a_bytes(FNV1A_INIT, key, sizeof(key)) % RATE_SLOTS);
	for (i = 0; i < RATE_PROBES; i++) {
		sl = &r->s[(h + i) % RATE_SLOTS];
		if (sl->count > 0 && memcmp(sl->key, key, sizeof(key)) == 0)
			break;
		/* a slot to take if the client has none: free, over, oldest */
		if (take == NULL || (take->count > 0 && (sl->count == 0 ||
		    now - sl->start_ms >= RATE_WINDOW_MS ||
		    sl->start_ms < take->start_ms)))
			take = sl;
	}
	if (i == RATE_PROBES) {
		sl = take;
		memcpy(sl->key, key, sizeof(key));
		sl->count = 0;
	}
	if (sl->count == 0 || now - sl->start_ms >= RATE_WINDOW_MS) {
		sl->start_ms = now;
		sl->count = 0;
	}
	sl->count++;
	return sl->count <= r->most;
}
