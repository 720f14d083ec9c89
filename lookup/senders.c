/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * senders - whether an authenticated user owns an envelope sender.
 * See senders.h.
 */
#include <cdb.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "log.h"
#include "policy_cdb.h"
#include "queue_trust.h"
#include "sa.h"
#include "senders.h"

/*
 * listed - look user up in senders.cdb: 1 with the addresses in out,
 * 0 if there is no entry (or no cdb and no text), -1 on error.
 */
static int
listed(const char *user, struct sa *out)
{
	unsigned vlen;
	int fd, r;

	if ((r = policy_cdb_open("senders", &fd)) != 1)
		return r;
	r = cdb_seek(fd, user, (unsigned)strlen(user), &vlen);
	if (r < 0) {
		log_warn("unable to read control/senders.cdb");
	} else if (r > 0) {
		if (vlen == 0 || vlen > CTL_LINE_MAX ||
		    sa_ready(out, vlen + 1) == -1 ||
		    cdb_bread(fd, out->s, vlen) == -1 ||
		    out->s[vlen - 1] != '\0') {
			log_warnx("control/senders.cdb: bad entry for %s: "
			    "rebuild it with qcdb senders", user);
			r = -1;
		} else
			out->len = vlen;
	}
	(void)close(fd);
	return r < 0 ? -1 : r > 0;
}

/*
 * sender_allowed - whether user (an authenticated name, case ignored)
 * may use sender ("local@domain" as addr_format writes it without the
 * brackets, "" for the null sender).  1, 0, or -1 on a temporary error
 * (a broken or stale control file, logged).
 */
int
sender_allowed(const char *user, const char *sender)
{
	struct sa list = SA_INIT, me = SA_INIT;
	char key[ADDR_LOCAL_MAX + 1];
	const char *p, *at;
	size_t i, ulen;
	int r;

	if (user == NULL || sender == NULL || user[0] == '\0')
		return 0;
	if (sender[0] == '\0')
		return 1;
	if (strlcpy(key, user, sizeof(key)) >= sizeof(key))
		return 0;
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if ((r = listed(key, &list)) == 1) {
		r = 0;
		for (p = list.s; p < list.s + list.len; p += strlen(p) + 1)
			if (strcasecmp(p, sender) == 0)
				r = 1;
		sa_free(&list);
		return r;
	}
	sa_free(&list);
	if (r == -1)
		return -1;
	/* the default: user@me, user@<a local domain> */
	ulen = strlen(key);
	if ((at = strrchr(sender, '@')) == NULL ||
	    (size_t)(at - sender) != ulen ||
	    strncasecmp(sender, key, ulen) != 0)
		return 0;
	at++;
	if (trust_me(&me) == -1 || (r = ctl_list("locals", &list)) == -1) {
		log_warnx("control/me or control/locals is broken");
		r = -1;
	} else
		r = strcasecmp(at, me.s) == 0 || ctl_list_has(&list, at);
	sa_free(&me);
	sa_free(&list);
	return r;
}
