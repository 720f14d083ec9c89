/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_loop - the loop stop every delivery passes first, with -t or
 * without: a message whose header already says it was delivered to
 * this recipient (Delivered-To, which local adds to every copy it
 * hands on) or that has crossed more than 100 hosts (Received) has
 * come round again, and delivering it would only send it round once
 * more.  qmail's rule.  Only the header is read, and of a header longer
 * than LOOP_HEADER_MAX only that much.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local.h"
#include "local_parse.h"

#define LOOP_HEADER_MAX	(1024 * 1024)	/* bytes of header scanned */

#define LOOP_READ_STEP	65536	/* bytes read at a time */

/*
 * header_ends - whether p[0..got-1] (got > 0) holds the empty line that
 * ends the header, looking only from `from` on (and at the two octets
 * before it, so that an empty line split between two reads is found).
 */
static int
header_ends(const char *p, size_t from, size_t got)
{
	const char *s, *end = p + got;

	/* an empty header: the message starts with its empty line */
	if (from == 0 && (p[0] == '\n' ||
	    (got > 1 && p[0] == '\r' && p[1] == '\n')))
		return 1;
	s = p + (from > 2 ? from - 2 : 0);
	while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		if (++s == end)
			break;
		if (*s == '\n' || (*s == '\r' && s + 1 < end && s[1] == '\n'))
			return 1;
	}
	return 0;
}

/*
 * read_head - the start of fd into p, at most n bytes: a step at a time,
 * stopping once the header has ended, so that a large message is not
 * read whole for its header.  Returns the bytes read, or -1.
 */
static ssize_t
read_head(int fd, char *p, size_t n)
{
	size_t got = 0, want;
	ssize_t r;

	while (got < n) {
		want = n - got < LOOP_READ_STEP ? n - got : LOOP_READ_STEP;
		r = pread(fd, p + got, want, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
		if (header_ends(p, got - (size_t)r, got))
			break;
	}
	return (ssize_t)got;
}

int
local_loop_check(const struct local_msg *m, char *text, size_t size)
{
	size_t n = m->size < LOOP_HEADER_MAX ? (size_t)m->size :
	    LOOP_HEADER_MAX;
	char *head;
	ssize_t got;
	int loop;

	if ((head = malloc(n + 1)) == NULL) {
		(void)snprintf(text, size, "4.3.0 <%s>: out of memory",
		    m->recipient);
		return LOCAL_TEMP;
	}
	if ((got = read_head(m->msgfd, head, n)) == -1) {
		(void)snprintf(text, size, "4.3.0 <%s>: unable to read the "
		    "message: %s", m->recipient, strerror(errno));
		free(head);
		return LOCAL_TEMP;
	}
	loop = local_loop_scan(head, (size_t)got, m->recipient);
	free(head);
	if (loop == LOOP_DELIVERED) {
		(void)snprintf(text, size, "5.4.6 <%s>: mail loop: the "
		    "message was already delivered to this address "
		    "(Delivered-To)", m->recipient);
		return LOCAL_PERM;
	}
	if (loop == LOOP_RECEIVED) {
		(void)snprintf(text, size, "5.4.6 <%s>: mail loop: more than "
		    "%d Received lines", m->recipient, LOOP_RECEIVED_MAX);
		return LOCAL_PERM;
	}
	return LOCAL_OK;
}
