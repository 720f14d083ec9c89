/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * clientaccess - which SMTP clients smtpd refuses, defers, or spares
 * its other client checks, by address or by name: control/clientaccess,
 * compiled by qcdb into clientaccess.cdb (Postfix's check_client_access,
 * tcprules' deny for smtpd's own listener).
 *
 * Text lines: "PATTERN ACTION [TEXT]".  PATTERN is an address or
 * network as in control/relay ("10.1.2.3", "10.0.0.0/8", "[::1]",
 * "[2001:db8::]/32"), a host name ("mail.example.com": that name only)
 * or a dot and a domain (".example.com": every name under it, not the
 * domain itself).  ACTION is "ok" (spared the DNSBL's refusal and
 * control/rejectunknownclient), "reject" (550 5.7.1) or "defer"
 * (450 4.7.1); TEXT, after reject or defer only, replaces the reply's
 * "Client host rejected: Access denied".
 *
 * The cdb maps a network as relay_key writes it ("10.0.0.0/8"), or a
 * name or ".domain" in lower case, to the action's letter ('o', 'r',
 * 'd') followed by the text.  CLIENTACCESS_NAMES_KEY, with an empty
 * value, is there when a rule names hosts: smtpd then looks the
 * client's name up (as control/lookupclientname does) before it asks.
 * A client matches its forward-confirmed name first, then each parent
 * domain, nearest first, then its address's prefixes from the longest
 * to /0; the first rule found is its rule.
 */
#ifndef QPOST_CLIENTACCESS_H
#define QPOST_CLIENTACCESS_H

#include <stddef.h>

#define CLIENTACCESS_KEY_MAX	256	/* "." and a 253-byte name, NUL */
#define CLIENTACCESS_TEXT_MAX	200
#define CLIENTACCESS_NAMES_KEY	"=names"	/* neither name nor net */

enum clientaccess_action {
	CLIENTACCESS_NONE,
	CLIENTACCESS_OK,
	CLIENTACCESS_REJECT,
	CLIENTACCESS_DEFER
};

/* one line of the text, as clientaccess_parse reads it */
struct clientaccess_line {
	char	 key[CLIENTACCESS_KEY_MAX];
	char	 value[1 + CLIENTACCESS_TEXT_MAX + 1];	/* NUL-terminated */
	int	 is_name;	/* the pattern is a name or .domain */
	int	 masked;	/* a network written with host bits set */
};

/* the rule a client matched */
struct clientaccess_rule {
	enum clientaccess_action action;
	char	 key[CLIENTACCESS_KEY_MAX];	/* which, for the log */
	char	 text[CLIENTACCESS_TEXT_MAX + 1];	/* "" for the default */
};

const char *clientaccess_parse(const char *, size_t,
	    struct clientaccess_line *);
int	clientaccess_wants_names(int);
int	clientaccess_find(int, const char *, const char *,
	    struct clientaccess_rule *);
const char *clientaccess_action_name(enum clientaccess_action);

#endif
