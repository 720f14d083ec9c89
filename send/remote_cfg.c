/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_cfg - the control files of the remote sender, read once per
 * run.  A broken file is a temporary failure for the whole delivery:
 * guessing at an admin's intent could send mail where it must not go.
 * See qpost-control(5).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "ctl_knob.h"
#include "log.h"
#include "queue_trust.h"
#include "remote.h"


/* source_address - one line of control/outgoingip into cfg. */
static int
source_address(struct remote_cfg *c, const char *line, size_t entry)
{
	char text[64];
	size_t n = strlen(line);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->src4;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->src6;

	if (line[0] == '[' && n > 2 && line[n - 1] == ']' &&
	    n - 2 < sizeof(text)) {
		memcpy(text, line + 1, n - 2);
		text[n - 2] = '\0';
		if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			c->has_src6 = 1;
			return 0;
		}
	} else if (inet_pton(AF_INET, line, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		c->has_src4 = 1;
		return 0;
	}
	log_warnx("control file outgoingip: entry %zu: \"%s\" is not an "
	    "IPv4 address or an IPv6 address in brackets", entry, line);
	return -1;
}

/* load_sources - control/outgoingip: at most one address per family. */
static int
load_sources(struct remote_cfg *c)
{
	struct sa list = SA_INIT;
	const char *p;
	size_t entry = 0;
	int r;

	if ((r = ctl_list("outgoingip", &list)) == 1)
		for (p = list.s; p < list.s + list.len; p += strlen(p) + 1)
			if (source_address(c, p, ++entry) == -1) {
				r = -1;
				break;
			}
	sa_free(&list);
	return r == -1 ? -1 : 0;
}

/* policy_word - a tlsdestinations policy by name, or -1. */
static int
policy_word(const char *w)
{
	if (strcmp(w, "none") == 0)
		return TLS_NONE;
	if (strcmp(w, "may") == 0)
		return TLS_MAY;
	if (strcmp(w, "encrypt") == 0)
		return TLS_ENCRYPT;
	if (strcmp(w, "verify") == 0)
		return TLS_VERIFY;
	if (strcmp(w, "dane") == 0)
		return TLS_DANE;
	if (strcmp(w, "dane-only") == 0)
		return TLS_DANE_ONLY;
	if (strcmp(w, "sts") == 0)
		return TLS_STS;
	return -1;
}

/*
 * remote_domain_rank - how well a "domain" or ".domain" key matches d:
 * SIZE_MAX for the exact domain, 2 plus the key's length for a
 * ".parent" match (the longest parent wins), 1 for the empty key (the
 * default), 0 for none.
 */
size_t
remote_domain_rank(const char *key, size_t klen, const char *d)
{
	size_t dlen = strlen(d);

	if (klen == 0)
		return 1;
	if (key[0] != '.')
		return klen == dlen && strncasecmp(key, d, klen) == 0 ?
		    (size_t)-1 : 0;
	return dlen > klen && strncasecmp(key, d + dlen - klen, klen) == 0 ?
	    2 + klen : 0;
}

/* load_tls_policy - control/tlsdestinations' policy for domain. */
static int
load_tls_policy(struct remote_cfg *c, const char *domain)
{
	struct sa list = SA_INIT;
	size_t best = 0, rank, lineno = 0;
	const char *p, *colon;
	int r, pol;

	c->tls_policy = TLS_MAY;
	if ((r = ctl_list("tlsdestinations", &list)) != 1) {
		sa_free(&list);
		return r;
	}
	for (p = list.s; p < list.s + list.len; p += strlen(p) + 1) {
		lineno++;
		if ((colon = strrchr(p, ':')) == NULL ||
		    (pol = policy_word(colon + 1)) == -1) {
			log_warnx("control file tlsdestinations: entry %zu: "
			    "want domain:none|may|encrypt|verify|dane|"
			    "dane-only|sts, not \"%s\"",
			    lineno, p);
			sa_free(&list);
			return -1;
		}
		rank = remote_domain_rank(p, (size_t)(colon - p), domain);
		if (rank > best) {
			best = rank;
			c->tls_policy = pol;
		}
	}
	sa_free(&list);
	return 0;
}

/*
 * remote_any_dane - whether a line of control/tlsdestinations names the
 * policy dane or dane-only (qpost-check's question): 1, 0, or -1 when
 * the file is broken.
 */
int
remote_any_dane(void)
{
	struct sa list = SA_INIT;
	const char *p, *colon;
	int r, pol, any = 0;

	if ((r = ctl_list("tlsdestinations", &list)) == 1)
		for (p = list.s; p < list.s + list.len; p += strlen(p) + 1) {
			if ((colon = strrchr(p, ':')) == NULL ||
			    (pol = policy_word(colon + 1)) == -1)
				continue;	/* load_tls_policy says so */
			any |= pol == TLS_DANE || pol == TLS_DANE_ONLY;
		}
	sa_free(&list);
	return r == -1 ? -1 : any;
}

/* load_int - a numeric control file (range, default: ctl_knob.c). */
static int
load_int(const char *name, int *out)
{
	long long v;

	if (ctl_knob(name, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

/* load_names - control/me, helohost and locals (me when absent). */
static int
load_names(struct remote_cfg *c)
{
	struct sa helo = SA_INIT;
	int r;

	if (trust_me(&c->me) == -1 || (r = ctl_line("helohost", &helo)) == -1)
		return -1;
	(void)strlcpy(c->helo, r == 1 ? helo.s : c->me.s, sizeof(c->helo));
	sa_free(&helo);
	if ((r = ctl_list("locals", &c->locals)) == -1)
		return -1;
	if (r == 0 && (sa_catb(&c->locals, c->me.s, strlen(c->me.s)) == -1 ||
	    sa_catc(&c->locals, '\0') == -1))
		return -1;
	return 0;
}

/*
 * remote_cfg_load - everything remote reads from control/ for a
 * delivery to domain.  Returns 0, or -1 when a file is broken (logged).
 */
int
remote_cfg_load(struct remote_cfg *c, const char *domain)
{
	struct sa ca = SA_INIT;
	int r;

	memset(c, 0, sizeof(*c));
	if (load_names(c) == -1 || load_sources(c) == -1 ||
	    load_tls_policy(c, domain) == -1 ||
	    load_int("remoteport", &c->port) == -1 ||
	    load_int("timeoutconnect", &c->timeout_connect) == -1 ||
	    load_int("timeoutremote", &c->timeout_all) == -1)
		return -1;
	if ((r = ctl_line("tlscafile", &ca)) == -1)
		return -1;
	if (r == 1 && strlcpy(c->cafile, ca.s, sizeof(c->cafile)) >=
	    sizeof(c->cafile)) {
		log_warnx("control file tlscafile: the path is too long");
		r = -1;
	}
	sa_free(&ca);
	return r == -1 ? -1 : 0;
}

/* remote_cfg_free - what remote_cfg_load allocated. */
void
remote_cfg_free(struct remote_cfg *c)
{
	sa_free(&c->me);
	sa_free(&c->locals);
}
