/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * clientaccess - control/clientaccess: a client's rule by name or by
 * address.  See clientaccess.h.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <cdb.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "clientaccess.h"
#include "log.h"
#include "relay.h"

/* the action words and the letters the cdb stores, by action */
static const struct {
	const char	*word;
	char		 letter;
} actions[] = {
	[CLIENTACCESS_NONE] = { "none", '\0' },
	[CLIENTACCESS_OK] = { "ok", 'o' },
	[CLIENTACCESS_REJECT] = { "reject", 'r' },
	[CLIENTACCESS_DEFER] = { "defer", 'd' },
};
#define NACTIONS	(sizeof(actions) / sizeof(actions[0]))

const char *
clientaccess_action_name(enum clientaccess_action a)
{
	return (size_t)a < NACTIONS ? actions[a].word : "none";
}

/* word - the run of non-blanks at *p, *p moved past it and its blanks */
static size_t
word(const char **p, const char *end, const char **w)
{
	const char *s = *p;
	size_t n;

	*w = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	n = (size_t)(s - *w);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*p = s;
	return n;
}

/* text_ok - printable ASCII only, as it goes into an SMTP reply */
static int
text_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* looks_like_net - a pattern that can only be meant as an address */
static int
looks_like_net(const char *s, size_t n)
{
	size_t i;

	if (s[0] == '[')
		return 1;
	for (i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '.' &&
		    s[i] != '/')
			return 0;
	return 1;
}

/* pattern_key - the pattern's cdb key into l; NULL or why not */
static const char *
pattern_key(const char *s, size_t n, struct clientaccess_line *l)
{
	struct relay_net net;
	const char *why, *d = s + (s[0] == '.');
	size_t dn = n - (size_t)(d - s), i;

	if (looks_like_net(s, n)) {
		if ((why = relay_net_parse(s, n, &net)) != NULL)
			return why;
		if (relay_key(net.af, net.addr, net.len, l->key,
		    sizeof(l->key)) == -1)
			return "not a network";
		l->masked = relay_net_has_host_bits(&net);
		return NULL;
	}
	/* 253: the longest name DNS can hold, written out */
	if (dn == 0 || dn > 253 || d[0] == '[' ||
	    !addr_valid_domain(d, dn, 0))
		return "not an address, a network, a host name or .domain";
	for (i = 0; i < n; i++)
		l->key[i] = (char)tolower((unsigned char)s[i]);
	l->key[n] = '\0';
	l->is_name = 1;
	return NULL;
}

/*
 * clientaccess_parse - one line of control/clientaccess (n bytes,
 * trimmed, no comment) into l.  Returns NULL, or why it is refused.
 */
const char *
clientaccess_parse(const char *s, size_t n, struct clientaccess_line *l)
{
	const char *p = s, *end = s + n, *pat, *act, *why;
	size_t pn, an, tn, a;

	memset(l, 0, sizeof(*l));
	pn = word(&p, end, &pat);
	an = word(&p, end, &act);
	if (pn == 0 || an == 0)
		return "want a pattern and an action: ok, reject or defer";
	if ((why = pattern_key(pat, pn, l)) != NULL)
		return why;
	for (a = CLIENTACCESS_OK; a < NACTIONS; a++)
		if (strlen(actions[a].word) == an &&
		    strncasecmp(act, actions[a].word, an) == 0)
			break;
	if (a == NACTIONS)
		return "the action is none of ok, reject, defer";
	/* the text: the rest of the line, blanks inside kept */
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	tn = (size_t)(end - p);
	if (tn > 0 && a == CLIENTACCESS_OK)
		return "ok takes no text";
	if (tn > CLIENTACCESS_TEXT_MAX)
		return "the text is longer than 200 bytes";
	if (!text_ok(p, tn))
		return "the text has a byte that is not printable ASCII";
	l->value[0] = actions[a].letter;
	memcpy(l->value + 1, p, tn);
	l->value[1 + tn] = '\0';
	return NULL;
}

/*
 * clientaccess_wants_names - whether the cdb on fd holds rules by name:
 * 1, 0, or -1 (logged) when it cannot be read.
 */
int
clientaccess_wants_names(int fd)
{
	unsigned vlen;
	int r;

	r = cdb_seek(fd, CLIENTACCESS_NAMES_KEY,
	    sizeof(CLIENTACCESS_NAMES_KEY) - 1, &vlen);
	if (r < 0)
		log_warn("unable to read control/clientaccess.cdb");
	return r < 0 ? -1 : r > 0;
}

/* rule_get - key's rule into rule: 1, 0 none, -1 (logged) broken */
static int
rule_get(int fd, const char *key, struct clientaccess_rule *rule)
{
	char val[1 + CLIENTACCESS_TEXT_MAX];
	unsigned vlen;
	size_t a;
	int r;

	if ((r = cdb_seek(fd, key, (unsigned)strlen(key), &vlen)) < 0) {
		log_warn("unable to read control/clientaccess.cdb");
		return -1;
	}
	if (r == 0)
		return 0;
	if (vlen == 0 || vlen > sizeof(val) || cdb_bread(fd, val, vlen) < 0)
		goto bad;
	for (a = CLIENTACCESS_OK; a < NACTIONS; a++)
		if (val[0] == actions[a].letter)
			break;
	if (a == NACTIONS || !text_ok(val + 1, vlen - 1))
		goto bad;
	rule->action = (enum clientaccess_action)a;
	(void)strlcpy(rule->key, key, sizeof(rule->key));
	memcpy(rule->text, val + 1, vlen - 1);
	rule->text[vlen - 1] = '\0';
	return 1;
bad:
	log_warnx("control/clientaccess.cdb: bad entry for %s: rebuild it "
	    "with qcdb clientaccess", key);
	return -1;
}

/* name_rule - the rule of host or of its nearest parent domain */
static int
name_rule(int fd, const char *host, struct clientaccess_rule *rule)
{
	char name[CLIENTACCESS_KEY_MAX];
	const char *dot;
	size_t i, n = strnlen(host, sizeof(name));
	int r;

	if (n == 0 || n >= sizeof(name) || strcmp(host, "unknown") == 0)
		return 0;
	for (i = 0; i <= n; i++)
		name[i] = (char)tolower((unsigned char)host[i]);
	if ((r = rule_get(fd, name, rule)) != 0)
		return r;
	for (dot = strchr(name, '.'); dot != NULL && dot[1] != '\0';
	    dot = strchr(dot + 1, '.'))
		if ((r = rule_get(fd, dot, rule)) != 0)
			return r;
	return 0;
}

/* address_rule - the rule of ip's longest prefix that has one */
static int
address_rule(int fd, const char *ip, struct clientaccess_rule *rule)
{
	unsigned char a[16];
	char key[RELAY_KEY_MAX];
	unsigned len;
	int af, r;

	if (ip == NULL || strnlen(ip, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN ||
	    (af = relay_parse_ip(ip, a)) == -1)
		return 0;
	for (len = af == AF_INET ? 32 : 128;; len--) {
		if (relay_key(af, a, len, key, sizeof(key)) == -1)
			return -1;
		if ((r = rule_get(fd, key, rule)) != 0 || len == 0)
			return r;
	}
}

/*
 * clientaccess_find - the rule of the client at ip (text), whose
 * confirmed name is host ("unknown" or NULL: none), in the cdb on fd.
 * Returns 1 with rule filled, 0 if no rule matches, -1 (logged) if the
 * cdb cannot be read or holds what qcdb would not write.
 */
int
clientaccess_find(int fd, const char *ip, const char *host,
    struct clientaccess_rule *rule)
{
	int r;

	memset(rule, 0, sizeof(*rule));
	if (host != NULL && (r = name_rule(fd, host, rule)) != 0)
		return r;
	return address_rule(fd, ip, rule);
}
