/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * relay - the client networks smtpd lets relay: control/relay,
 * compiled by qcdb into relay.cdb.
 *
 * Text lines: an IPv4 address or network ("10.0.0.1", "10.0.0.0/8")
 * or an IPv6 one in brackets ("[::1]", "[2001:db8::]/32"); an address
 * with no length is a single host (/32, /128).  The cdb maps the
 * network, masked and canonical as inet_ntop writes it, with its
 * length ("10.0.0.0/8", "2001:db8::/32", "10.1.2.3/32"), to an empty
 * value.  A client matches when one of its prefixes, from the longest
 * to /0, is a key.  An IPv4-mapped client ("::ffff:10.1.2.3") is taken
 * as the IPv4 address and matches IPv4 entries only; qcdb refuses
 * mapped entries, which could never match.
 *
 * The cdb is used only while it is in force (see policy_cdb.h):
 * control/relay present with relay.cdb missing or older than it is a
 * broken state and gives -1, never an old or empty policy; neither
 * file present means no client relays.
 */
#ifndef QPOST_RELAY_H
#define QPOST_RELAY_H

#include <stddef.h>

/* "ffff:...:255.255.255.255/128" and its NUL fit */
#define RELAY_KEY_MAX	64

/*
 * One network of a relay line, as relay_net_parse reads it; the same
 * syntax serves control/proxyfrom (smtpd/proxy_from.c), so the two
 * lists of addresses are written and matched alike.
 */
struct relay_net {
	int		 af;		/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* 4 or 16 bytes, as written */
	unsigned	 len;		/* prefix length */
};

int	relay_key(int, const void *, unsigned, char *, size_t);
int	relay_allowed(const char *);
int	relay_parse_ip(const char *, unsigned char *);
const char *relay_net_parse(const char *, size_t, struct relay_net *);
int	relay_net_match(const struct relay_net *, const char *);
int	relay_net_has_host_bits(const struct relay_net *);

#endif
