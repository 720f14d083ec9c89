/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * dnsbl - DNS blocklists (RFC 5782): control/dnsbl's parser, the query
 * names, and the lookups.  See dnsbl.h.  The parser and the name
 * functions are pure (the fuzz target's and the unit test's entries);
 * dnsbl_check asks the DNS through lib/dns.h and reads the clock.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "dns.h"
#include "dnsbl.h"
#include "log.h"
#include "relay.h"
#include "sa.h"

#define DNSBL_FILE	"dnsbl"
#define DNSBL_WHEN	"dnsblrefuse"
#define DNSBL_TIMEOUT	"timeoutdnsbl"

/* blank - a space or a tab, the separators of a line's fields */
static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* field - the length of the field at s (up to a blank or the end). */
static size_t
field(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && !blank(s[i]); i++)
		;
	return i;
}

/* parse_zone - the zone field into z->name; NULL, or what is wrong. */
static const char *
parse_zone(const char *s, size_t n, struct dnsbl_zone *z)
{
	char in[DNS_NAME_MAX + 2], norm[DNS_NAME_MAX + 1];

	if (n > DNS_NAME_MAX + 1)
		return "the zone is longer than a DNS name";
	memcpy(in, s, n);
	in[n] = '\0';
	if (dns_name_norm(in, norm) == -1)
		return "the zone is not a DNS name (letters, digits, '-', "
		    "'_' and dots)";
	if (strlen(norm) > DNSBL_ZONE_MAX)
		return "the zone is too long for an IPv6 query name (over "
		    "189 octets)";
	strlcpy(z->name, norm, sizeof(z->name));
	return NULL;
}

/* parse_answers - "*" or "127.x.y.z[,...]" into z; NULL, or why not. */
static const char *
parse_answers(const char *s, size_t n, struct dnsbl_zone *z)
{
	char a[INET_ADDRSTRLEN];
	size_t i, len;

	z->nanswers = 0;
	if (n == 1 && s[0] == '*')
		return NULL;
	while (n > 0) {
		for (len = 0; len < n && s[len] != ','; len++)
			;
		if (len == 0 || len >= sizeof(a))
			return "an answer is not an IPv4 address (want * or "
			    "127.0.0.2,127.0.0.3)";
		memcpy(a, s, len);
		a[len] = '\0';
		if (z->nanswers == DNSBL_ANSWERS_MAX)
			return "more than 8 answers";
		if (inet_pton(AF_INET, a, z->answers[z->nanswers]) != 1)
			return "an answer is not an IPv4 address (want * or "
			    "127.0.0.2,127.0.0.3)";
		if (z->answers[z->nanswers][0] != 127)
			return "an answer outside 127.0.0.0/8 (RFC 5782 2.1)";
		for (i = 0; i < z->nanswers; i++)
			if (memcmp(z->answers[i], z->answers[z->nanswers], 4)
			    == 0)
				break;
		if (i == z->nanswers)
			z->nanswers++;
		s += len;
		n -= len;
		if (n > 0) {
			s++;		/* the ',' */
			if (--n == 0)
				return "a ',' ends the answers";
		}
	}
	return NULL;
}

/* parse_msg - the message: printable ASCII, %i %z %%; NULL, or why. */
static const char *
parse_msg(const char *s, size_t n, struct dnsbl_zone *z)
{
	size_t i;

	if (n > DNSBL_MSG_MAX)
		return "the message is longer than 200 octets";
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return "the message holds a byte other than printable "
			    "ASCII";
		if (s[i] != '%')
			continue;
		if (i + 1 == n || strchr("iz%", s[i + 1]) == NULL)
			return "a '%' in the message is not %i, %z or %%";
		i++;
	}
	memcpy(z->msg, s, n);
	z->msg[n] = '\0';
	return NULL;
}

/* parse_line - one entry (trimmed, not empty) into z; NULL, or why. */
static const char *
parse_line(const char *s, size_t n, struct dnsbl_zone *z)
{
	const char *why;
	size_t f;

	memset(z, 0, sizeof(*z));
	f = field(s, n);
	if ((why = parse_zone(s, f, z)) != NULL)
		return why;
	for (s += f, n -= f; n > 0 && blank(*s); s++, n--)
		;
	if (n == 0)
		return NULL;
	f = field(s, n);
	if ((why = parse_answers(s, f, z)) != NULL)
		return why;
	for (s += f, n -= f; n > 0 && blank(*s); s++, n--)
		;
	return n == 0 ? NULL : parse_msg(s, n, z);
}

/* dnsbl_parse - the text of control/dnsbl.  See dnsbl.h. */
int
dnsbl_parse(const char *text, size_t len, struct dnsbl_list *l,
    size_t *lineno, const char **why)
{
	const char *p = text, *end = text + len, *s, *nl;
	size_t n;

	l->nzones = 0;
	*lineno = 0;
	*why = NULL;
	while (p < end) {
		s = p;
		(*lineno)++;
		nl = memchr(s, '\n', (size_t)(end - s));
		p = nl ? nl + 1 : end;
		n = (size_t)(p - s);
		if (n > CTL_LINE_MAX) {
			*why = "longer than 1024 bytes";
			return -1;
		}
		if (memchr(s, '\0', n) != NULL) {
			*why = "a NUL byte";
			return -1;
		}
		/* ctl.c's trimming: blanks and the CR of a CRLF file */
		while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
			n--;
		while (n > 0 && blank(*s)) {
			s++;
			n--;
		}
		if (n == 0 || s[0] == '#')
			continue;
		if (l->nzones == DNSBL_ZONES_MAX) {
			*why = "more than 16 zones";
			return -1;
		}
		if ((*why = parse_line(s, n, &l->zone[l->nzones])) != NULL)
			return -1;
		l->nzones++;
	}
	*lineno = 0;
	return 0;
}

/* dnsbl_load - the DNSBL settings of control/.  See dnsbl.h. */
int
dnsbl_load(struct dnsbl_list *l, int *at_connect, int *timeout)
{
	struct sa raw = SA_INIT, when = SA_INIT;
	const char *why;
	long long t;
	size_t lineno;
	int r;

	l->nzones = 0;
	if ((r = ctl_read(DNSBL_FILE, &raw)) <= 0) {
		sa_free(&raw);
		return r;
	}
	r = dnsbl_parse(raw.s, raw.len, l, &lineno, &why);
	sa_free(&raw);
	if (r == -1) {
		log_warnx("control file %s: line %zu: %s", DNSBL_FILE, lineno,
		    why);
		return -1;
	}
	if ((r = ctl_line(DNSBL_WHEN, &when)) == -1)
		return -1;
	*at_connect = 0;
	if (r == 1 && strcmp(when.s, "connect") == 0)
		*at_connect = 1;
	else if (r == 1 && strcmp(when.s, "rcpt") != 0) {
		log_warnx("control file %s: line 1: \"%s\": want connect or "
		    "rcpt", DNSBL_WHEN, when.s);
		sa_free(&when);
		return -1;
	}
	sa_free(&when);
	if (ctl_knob(DNSBL_TIMEOUT, &t) == -1)
		return -1;
	*timeout = (int)t;
	return l->nzones > 0;
}

/* dnsbl_qname - the query name of ip in zone.  See dnsbl.h. */
int
dnsbl_qname(const char *ip, const char *zone, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	char rev[4 * 16 + 1];
	size_t o = 0;
	int af, i, n;

	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN ||
	    (af = relay_parse_ip(ip, a)) == -1)
		return -1;
	if (af == AF_INET)
		o = (size_t)snprintf(rev, sizeof(rev), "%u.%u.%u.%u.", a[3],
		    a[2], a[1], a[0]);
	else
		for (i = 15; i >= 0; i--) {
			rev[o++] = hex[a[i] & 0xf];
			rev[o++] = '.';
			rev[o++] = hex[a[i] >> 4];
			rev[o++] = '.';
		}
	rev[o] = '\0';
	n = snprintf(out, size, "%s%s", rev, zone);
	if (n < 0 || (size_t)n >= size || (size_t)n > DNSBL_QNAME_MAX)
		return -1;
	return 0;
}

/* dnsbl_answer_counts - whether an A record lists.  See dnsbl.h. */
int
dnsbl_answer_counts(const struct dnsbl_zone *z, const unsigned char *a)
{
	size_t i;

	if (z->nanswers == 0)
		return a[0] == 127 && !(a[1] == 255 && a[2] == 255);
	for (i = 0; i < z->nanswers; i++)
		if (memcmp(z->answers[i], a, 4) == 0)
			return 1;
	return 0;
}

/* dnsbl_expand - a message with its %-words filled in.  See dnsbl.h. */
void
dnsbl_expand(const char *msg, const char *ip, const char *zone, char *out,
    size_t size)
{
	size_t o = 0, n;
	const char *ins;

	if (size == 0)
		return;
	for (; *msg != '\0' && o + 1 < size; msg++) {
		if (msg[0] != '%' || msg[1] == '\0') {
			out[o++] = *msg;
			continue;
		}
		msg++;
		ins = *msg == 'i' ? ip : *msg == 'z' ? zone : "%";
		n = strlen(ins);
		if (n > size - 1 - o)
			n = size - 1 - o;
		memcpy(out + o, ins, n);
		o += n;
	}
	out[o] = '\0';
}

/* dnsbl_clean - a TXT text made fit for a reply.  See dnsbl.h. */
void
dnsbl_clean(const unsigned char *txt, size_t len, char *out, size_t size)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < len && i + 1 < size; i++)
		out[i] = txt[i] >= 0x20 && txt[i] < 0x7f ? (char)txt[i] : '?';
	out[i] = '\0';
}

/*
 * left - whole seconds before the deadline (dns_timeout's unit),
 * rounded down but for a grace of GRACE_MS: a budget of 2 s gives the
 * first query 2 s, not the 1 s that 1999 ms would round down to; so a
 * query ends at most GRACE_MS past the deadline.
 */
#define GRACE_MS	100
static int
left(long long deadline)
{
	long long ms = deadline - clock_ms() + GRACE_MS;

	return ms < 1000 ? 0 : (int)(ms / 1000);
}

/* unchecked - note a zone a failure left unchecked, and the first why */
static void
unchecked(struct dnsbl_result *res, const char *zone, const char *why)
{
	if (res->nunchecked++ == 0)
		strlcpy(res->why, why, sizeof(res->why));
	else
		strlcat(res->unchecked, ",", sizeof(res->unchecked));
	strlcat(res->unchecked, zone, sizeof(res->unchecked));
}

/*
 * reply_text - the reply's text for a listing in z: the zone's message,
 * else the list's TXT record (when there is time left to ask), else
 * words naming the address and the zone.
 */
static void
reply_text(const struct dnsbl_zone *z, const char *ip, const char *qname,
    long long deadline, struct dnsbl_result *res)
{
	struct dns_rrset set;
	int s;

	if (z->msg[0] != '\0') {
		dnsbl_expand(z->msg, ip, z->name, res->text, sizeof(res->text));
		return;
	}
	res->text[0] = '\0';
	if ((s = left(deadline)) > 0) {
		dns_timeout(s);
		if (dns_query(qname, ns_t_txt, &set) == DNS_OK) {
			dnsbl_clean(set.rr[0].data, set.rr[0].len, res->text,
			    sizeof(res->text));
			dns_rrset_free(&set);
		}
	}
	if (res->text[0] == '\0')
		snprintf(res->text, sizeof(res->text), "Client address %s is "
		    "listed in %s", ip, z->name);
}

/* dnsbl_check - look ip up in each zone in turn.  See dnsbl.h. */
int
dnsbl_check(const struct dnsbl_list *l, const char *ip, int timeout,
    struct dnsbl_result *res)
{
	char qname[DNSBL_QNAME_MAX + 1];
	unsigned char a[16];
	long long deadline = clock_ms() + (long long)timeout * 1000;
	struct dns_rrset set;
	size_t i, k;
	int r, s;

	memset(res, 0, sizeof(*res));
	/* not an address ("unknown", "local"): nothing to look up */
	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN ||
	    relay_parse_ip(ip, a) == -1)
		return 0;
	for (i = 0; i < l->nzones; i++) {
		const struct dnsbl_zone *z = &l->zone[i];

		if (dnsbl_qname(ip, z->name, qname, sizeof(qname)) == -1) {
			unchecked(res, z->name, "query name too long");
			continue;
		}
		if ((s = left(deadline)) == 0) {
			unchecked(res, z->name, "no time left");
			continue;
		}
		dns_timeout(s);
		if ((r = dns_query(qname, ns_t_a, &set)) == DNS_TEMP) {
			unchecked(res, z->name, dns_why());
			continue;
		}
		if (r != DNS_OK)
			continue;	/* NXDOMAIN, NODATA: not listed */
		for (k = 0; k < set.n; k++)
			if (dnsbl_answer_counts(z, set.rr[k].data))
				break;
		if (k == set.n) {
			dns_rrset_free(&set);
			continue;
		}
		res->listed = 1;
		strlcpy(res->zone, z->name, sizeof(res->zone));
		(void)inet_ntop(AF_INET, set.rr[k].data, res->answer,
		    sizeof(res->answer));
		dns_rrset_free(&set);
		reply_text(z, ip, qname, deadline, res);
		break;
	}
	dns_timeout(0);
	return res->listed;
}
