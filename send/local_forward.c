/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_forward - forward: `&address' or a bare address.  local does
 * not queue the copy itself: it checks the address and, once every
 * instruction has succeeded, reports it to lspawn on a line
 * "forward <address>" after its result text, and sched queues the copy
 * with the ORIGINAL envelope sender (so bounces still reach whoever
 * sent it, and <> stays <>) and this delivery's Delivered-To line on
 * top (so the next hop can see a loop: local_loop.c).  That way the
 * user, who qinject would let send only as itself, never needs to be
 * trusted with someone else's sender.  An address without a domain
 * gets the recipient's.  The same address twice is forwarded once.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "local.h"
#include "spawn_rec.h"

static char	fwd[SPAWN_FWD_MAX][ADDR_PATH_MAX + 1];
static size_t	nfwd;

/*
 * target - the address to forward to, checked, into full: angle
 * brackets dropped, the recipient's domain added when it has none.
 * Returns 0, or -1 when it is no valid RFC 5321 address.
 */
static int
target(const struct local_msg *m, const char *s, char full[ADDR_PATH_MAX + 1])
{
	struct addr a;
	size_t n = strlen(s);
	int len;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n == 0 || memchr(s, '@', n) != NULL || m->host[0] == '\0')
		len = snprintf(full, ADDR_PATH_MAX + 1, "%.*s", (int)n, s);
	else
		len = snprintf(full, ADDR_PATH_MAX + 1, "%.*s@%s", (int)n, s,
		    m->host);
	if (len <= 0 || len > ADDR_PATH_MAX - 2 ||
	    addr_parse(full, (size_t)len, &a, ADDR_UTF8) != 1 ||
	    a.domain[0] == '\0')
		return -1;
	return 0;
}

int
local_forward(const struct local_msg *m, const char *rest, char *text,
    size_t size)
{
	char full[ADDR_PATH_MAX + 1];
	size_t i;

	if (target(m, rest, full) == -1) {
		(void)snprintf(text, size, "5.1.3 <%s>: forward address <%.*s> "
		    "is not a valid address", m->recipient, ADDR_PATH_MAX,
		    rest);
		return LOCAL_PERM;
	}
	for (i = 0; i < nfwd; i++)
		if (strcmp(fwd[i], full) == 0)
			break;
	if (i == nfwd) {
		if (nfwd == SPAWN_FWD_MAX) {
			(void)snprintf(text, size, "5.4.6 <%s>: more than %d "
			    "forward addresses", m->recipient, SPAWN_FWD_MAX);
			return LOCAL_PERM;
		}
		strlcpy(fwd[nfwd++], full, sizeof(fwd[0]));
	}
	(void)snprintf(text, size, "2.0.0 <%s> forwarded to <%s>",
	    m->recipient, full);
	return LOCAL_OK;
}

/* local_forward_reset - no forwards yet: a new delivery begins */
void
local_forward_reset(void)
{
	nfwd = 0;
}

/*
 * local_forward_report - after a delivery that succeeded, the forward
 * lines for lspawn on fd.  Returns 0, or -1 if they could not be
 * written (lspawn then sees a result without them: a temporary
 * failure, since the result line alone would lose the forwards).
 */
int
local_forward_report(int fd)
{
	char line[ADDR_PATH_MAX + 16];
	size_t i;
	int n;

	for (i = 0; i < nfwd; i++) {
		n = snprintf(line, sizeof(line), "forward %s\n", fwd[i]);
		if (n < 0 || (size_t)n >= sizeof(line) ||
		    fd_write_all(fd, line, (size_t)n) == -1)
			return -1;
	}
	return 0;
}
