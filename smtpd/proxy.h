/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * proxy - the PROXY protocol header a load balancer (HAProxy's
 * send-proxy, send-proxy-v2) puts before the client's first byte, so
 * smtpd behind it learns the real client.  Version 1 is one text line,
 * version 2 a binary block; the spec is HAProxy's proxy-protocol.txt.
 * A pure function over bytes, fuzzed (tests/fuzz/fuzz_proxy.c).
 *
 * proxy_parse is called on the bytes read so far and says how many
 * more it wants, never more than the header still holds, so a reader
 * that reads exactly that many leaves the SMTP stream after the header
 * untouched:
 *   - PROXY_MORE: the bytes are a possible start of a header; *need is
 *     how many more to read (at least 1), within the header;
 *   - PROXY_OK: the bytes are exactly one whole header (h filled);
 *   - PROXY_BAD: no header starts so (h->why says why, for the log).
 * Strict: v1 is "PROXY TCP4|TCP6 src dst sport dport" (single spaces,
 * ports decimal 0..65535 without leading zeros) or "PROXY UNKNOWN ..."
 * ended by CRLF within 107 bytes; v2 has version 2, command LOCAL or
 * PROXY, a known family and transport, an address block that fits its
 * length, TLVs that fill the rest exactly (skipped, never trusted), at
 * most PROXY_MAX bytes in all.  PROXY over INET or INET6 must be
 * STREAM: a datagram client cannot speak SMTP.
 *
 * is_local: v2 LOCAL (the balancer's health checks), v1 UNKNOWN, and
 * v2 PROXY with family UNSPEC or UNIX carry no client address: the
 * connection is the balancer's own and the caller keeps its address.
 */
#ifndef QPOST_PROXY_H
#define QPOST_PROXY_H

#include <stddef.h>

#define PROXY_V1_MAX	107	/* bytes in a v1 line, CRLF included */
#define PROXY_V2_HEAD	16	/* the fixed part of a v2 header */
#define PROXY_MAX	4096	/* bytes of a v2 header we take, TLVs
				   included; HAProxy's are a few hundred */

#define PROXY_OK	0
#define PROXY_MORE	1
#define PROXY_BAD	(-1)

struct proxy_hdr {
	int		 version;	/* 1 or 2 */
	int		 is_local;	/* no client address: see above */
	int		 family;	/* AF_INET, AF_INET6 (not is_local) */
	unsigned char	 src[16];	/* network order, 4 or 16 bytes */
	unsigned char	 dst[16];
	unsigned	 sport, dport;
	size_t		 len;		/* bytes of the whole header */
	const char	*why;		/* PROXY_BAD: one word, for logs */
};

int	proxy_parse(const unsigned char *, size_t, struct proxy_hdr *,
	    size_t *);
int	proxy_client(const struct proxy_hdr *, char *, size_t);

/*
 * proxy_from.c: whether a peer address (text, as TCPREMOTEIP writes
 * it) is a balancer listed in control/proxyfrom, whose lines are those
 * of control/relay (lookup/relay.h: relay_net_parse), read afresh for
 * each connection.  1 listed, 0 not (or no file), -1 broken (logged).
 */
int	proxy_from_listed(const char *);

/*
 * proxy_read.c: read one header from fd (a socket or a pipe) with
 * proxy_parse, exactly its bytes and no more, within timeout_ms in all.
 * 0 with h filled, or -1 with h->why ("timeout", "eof", "read_error"
 * or proxy_parse's word).  buf holds PROXY_MAX bytes.
 */
int	proxy_read(int, int, unsigned char *, struct proxy_hdr *);

#endif
