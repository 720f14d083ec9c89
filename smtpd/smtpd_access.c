/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_access - control/clientaccess (lookup/clientaccess.h): the
 * client's rule, found once when the session starts and applied at
 * MAIL, where the other client checks answer.
 *
 * A rule by name needs the client's name: when the table holds one,
 * the session looks it up (smtpd_client.c) as control/lookupclientname
 * would, and matches only a forward-confirmed name, never a PTR name
 * alone, which whoever holds the address's reverse zone can write.
 *
 * "reject" and "defer" answer MAIL with 550 5.7.1 and 450 4.7.1;
 * "ok" spares the client the DNSBL's refusal and
 * control/rejectunknownclient.  The site's own clients (relay clients,
 * authenticated ones, local users) are never refused, as by the other
 * client checks: a user of a listed network can still authenticate.
 * A table that is not in force (its text newer than its cdb, say:
 * policy_cdb.h) answers 451 4.3.0 to every other client until qcdb
 * has run, as control/relay does at RCPT: never an old or empty list.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clientaccess.h"
#include "log.h"
#include "policy_cdb.h"
#include "smtpd.h"

#define ACCESS_DENIED	"Client host rejected: Access denied"

void
session_access(struct session *s)
{
	int fd = -1, r, names = 0;

	if (s->is_local)
		return;
	r = policy_cdb_open("clientaccess", &fd);
	if (r == 1 && (names = clientaccess_wants_names(fd)) == -1)
		r = -1;
	session_client_lookup(s, names == 1);
	if (r == 1)
		r = clientaccess_find(fd, s->ip, s->host, &s->access);
	if (fd != -1)
		(void)close(fd);
	if (r == -1) {
		s->access_broken = 1;
		log_warnx("session=%s ip=%s access=unchecked "
		    "reason=control_broken", s->sid, s->ip);
	} else if (r == 1)
		log_info("session=%s ip=%s access=%s rule=%s", s->sid, s->ip,
		    clientaccess_action_name(s->access.action),
		    s->access.key);
}

int
session_access_spares(const struct session *s)
{
	return s->access.action == CLIENTACCESS_OK;
}

int
session_access_refused(struct session *s, char *line, size_t size)
{
	const char *text = s->access.text[0] != '\0' ? s->access.text :
	    ACCESS_DENIED;

	if (s->access_broken) {
		(void)snprintf(line, size, "451 4.3.0 Client access rules "
		    "unavailable: try again later");
		log_info("session=%s ip=%s deferred client=%s "
		    "reason=access_broken", s->sid, s->ip, s->host);
		return 1;
	}
	if (s->access.action == CLIENTACCESS_REJECT)
		(void)snprintf(line, size, "550 5.7.1 %s", text);
	else if (s->access.action == CLIENTACCESS_DEFER)
		(void)snprintf(line, size, "450 4.7.1 %s", text);
	else
		return 0;
	log_info("session=%s ip=%s %s client=%s reason=access rule=%s",
	    s->sid, s->ip, s->access.action == CLIENTACCESS_REJECT ?
	    "refused" : "deferred", s->host, s->access.key);
	return 1;
}
