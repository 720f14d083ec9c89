/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_routes - the parsers of control/smtproutes and control/smtpauth,
 * apart from the routing that uses them (remote_route.c) so that
 * qpost-check can parse the files with this same code without the
 * rest of remote.  See qpost-control(5).
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "remote.h"

#define SMTPROUTES	"smtproutes"
#define SMTPAUTH	"smtpauth"

/*
 * parse_relay - "host", "host:port", "[v6]" or "[v6]:port" into r; an
 * empty string leaves r->host empty (use the MX records).  -1 if bad.
 */
static int
parse_relay(const char *s, struct remote_relay *r)
{
	const char *host = s, *port, *end, *err;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->port = 25;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL ||
		    (end[1] != ':' && end[1] != '\0'))
			return -1;
		host = s + 1;
		n = (size_t)(end - host);
		port = end[1] == ':' ? end + 2 : NULL;
	} else {
		port = strchr(s, ':');
		n = port != NULL ? (size_t)(port - s) : strlen(s);
		if (port != NULL)
			port++;
	}
	if (n >= sizeof(r->host) || (n == 0 && port != NULL))
		return -1;
	memcpy(r->host, host, n);
	r->host[n] = '\0';
	if (port != NULL) {
		r->port = (int)strtonum(port, 1, 65535, &err);
		if (err != NULL)
			return -1;
	}
	return 0;
}

/*
 * remote_find_route - the smtproutes entry for domain: 1 with r set, 0 when
 * none applies, -1 when the file is broken (logged).
 */
int
remote_find_route(const char *domain, struct remote_relay *r)
{
	struct sa list = SA_INIT;
	const char *p, *colon, *best = NULL;
	size_t rank, top = 0, lineno = 0;
	int ret;

	if ((ret = ctl_list(SMTPROUTES, &list)) != 1) {
		sa_free(&list);
		return ret;
	}
	for (p = list.s; p < list.s + list.len; p += strlen(p) + 1) {
		lineno++;
		if ((colon = strchr(p, ':')) == NULL ||
		    parse_relay(colon + 1, r) == -1) {
			log_warnx("control file %s: entry %zu: want "
			    "domain:host[:port], not \"%s\"", SMTPROUTES,
			    lineno, p);
			sa_free(&list);
			return -1;
		}
		rank = remote_domain_rank(p, (size_t)(colon - p), domain);
		if (rank > top) {
			top = rank;
			best = colon + 1;
		}
	}
	ret = best != NULL && parse_relay(best, r) == 0;
	sa_free(&list);
	return ret;
}

/*
 * auth_scan - the "host:user:password" line of list for host into rt
 * (has_auth set when one matches).  -1 when a line is not of that
 * form (logged, without the line: it may hold a password).
 */
static int
auth_scan(const struct sa *list, const char *host, struct remote_route *rt)
{
	const char *p, *c1, *c2;
	size_t entry = 0;

	for (p = list->s; p < list->s + list->len; p += strlen(p) + 1) {
		entry++;
		if ((c1 = strchr(p, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL ||
		    (size_t)(c2 - c1 - 1) >= sizeof(rt->auth_user) ||
		    strlen(c2 + 1) >= sizeof(rt->auth_pass)) {
			log_warnx("control file %s: entry %zu: want "
			    "host:user:password", SMTPAUTH, entry);
			return -1;
		}
		if ((size_t)(c1 - p) == strlen(host) &&
		    strncasecmp(p, host, strlen(host)) == 0) {
			memcpy(rt->auth_user, c1 + 1, (size_t)(c2 - c1 - 1));
			rt->auth_user[c2 - c1 - 1] = '\0';
			(void)strlcpy(rt->auth_pass, c2 + 1,
			    sizeof(rt->auth_pass));
			rt->has_auth = 1;
			break;
		}
	}
	return 0;
}

/*
 * remote_find_auth - control/smtpauth's "host:user:password" for the relay
 * host.  The file holds secrets: it must be readable by its owner
 * alone, or remote refuses to use it.  -1 when broken (logged).
 */
int
remote_find_auth(const char *host, struct remote_route *rt)
{
	struct sa list = SA_INIT;
	char path[1024];
	struct stat st;
	int r;

	if (ctl_path(path, sizeof(path), SMTPAUTH) == -1)
		return -1;
	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (log_warn("control file %s",
		    SMTPAUTH), -1);
	/* the control directory is root's: only root can swap the file */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		log_warnx("control file %s: must be a regular file of uid %lu "
		    "with mode 0600 or 0400 (it holds passwords)", SMTPAUTH,
		    (unsigned long)geteuid());
		return -1;
	}
	if ((r = ctl_list(SMTPAUTH, &list)) != 1) {
		sa_free(&list);
		return r;
	}
	r = auth_scan(&list, host, rt);
	explicit_bzero(list.s, list.len);
	sa_free(&list);
	return r;
}

/*
 * remote_route_check - parse every line of control/smtproutes and
 * control/smtpauth as a delivery would, for qpost-check: 0, or -1
 * when one is broken (logged).  The owner and mode of smtpauth are
 * the caller's to check: it knows which user remote runs as.
 */
int
remote_route_check(void)
{
	struct remote_route rt;
	struct remote_relay r;
	struct sa list = SA_INIT;
	int ret;

	if (remote_find_route("", &r) == -1)
		return -1;
	memset(&rt, 0, sizeof(rt));
	if ((ret = ctl_list(SMTPAUTH, &list)) == 1)
		ret = auth_scan(&list, "", &rt);
	if (list.s != NULL)
		explicit_bzero(list.s, list.len);
	sa_free(&list);
	explicit_bzero(&rt, sizeof(rt));
	return ret == -1 ? -1 : 0;
}

