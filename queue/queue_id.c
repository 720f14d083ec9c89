/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_id - make and check message ids.  See queue_id.h.
 */
#include <stdint.h>
#include <stdlib.h>

#include "queue_id.h"

/* qid_of_bytes - the id spelling QID_LEN / 2 bytes in hex. */
static void
qid_of_bytes(char id[QID_LEN + 1], const unsigned char *r)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < QID_LEN / 2; i++) {
		id[2 * i] = hex[r[i] >> 4];
		id[2 * i + 1] = hex[r[i] & 15];
	}
	id[QID_LEN] = '\0';
}

void
qid_new(char id[QID_LEN + 1])
{
	unsigned char r[QID_LEN / 2];

	arc4random_buf(r, sizeof(r));
	qid_of_bytes(id, r);
}

/* qid_of_hash - the id spelling h, most significant byte first. */
void
qid_of_hash(char id[QID_LEN + 1], uint64_t h)
{
	unsigned char r[QID_LEN / 2];
	size_t i;

	for (i = 0; i < sizeof(r); i++)
		r[i] = (unsigned char)(h >> (8 * (sizeof(r) - 1 - i)));
	qid_of_bytes(id, r);
}

/* qid_valid - exactly QID_LEN lowercase hex digits. */
int
qid_valid(const char *s, size_t n)
{
	size_t i;

	if (n != QID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
