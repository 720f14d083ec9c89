/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * proxy - parsing a PROXY protocol header (v1 text, v2 binary).  See
 * proxy.h for the contract; the bytes are hostile until proven a
 * header, even from a listed balancer (it may be misconfigured, or be
 * a relay for someone else's bytes).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <string.h>

#include "proxy.h"

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_FAM_UNSPEC	0x0
#define V2_FAM_INET	0x1
#define V2_FAM_INET6	0x2
#define V2_FAM_UNIX	0x3
#define V2_TR_STREAM	0x1
#define V2_TR_MAX	0x2	/* DGRAM */
#define V2_INET_LEN	12	/* 2 x 4 bytes, 2 ports */
#define V2_INET6_LEN	36	/* 2 x 16 bytes, 2 ports */
#define V2_UNIX_LEN	216	/* 2 x 108 bytes */

static int
bad(struct proxy_hdr *h, const char *why)
{
	h->why = why;
	return PROXY_BAD;
}

/*
 * v1_port - a port of a v1 line: decimal, no sign, no leading zero,
 * at most 65535.  Returns 0 with *port set, or -1.
 */
static int
v1_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* v1_addr - an address of a v1 line, in family af; 0 or -1. */
static int
v1_addr(int af, const char *s, size_t n, unsigned char *a)
{
	char text[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	return inet_pton(af, text, a) == 1 ? 0 : -1;
}

/*
 * v1_fields - "src dst sport dport" (the n bytes after "TCP4 " or
 * "TCP6 ", without the CRLF), each field separated by one space.
 */
static int
v1_fields(struct proxy_hdr *h, const char *s, size_t n)
{
	const char *f[4], *end = s + n, *sp;
	size_t fl[4], i;

	for (i = 0; i < 4; i++) {
		sp = memchr(s, ' ', (size_t)(end - s));
		if (i < 3 && sp == NULL)
			return bad(h, "v1_too_few_fields");
		if (i == 3 && sp != NULL)
			return bad(h, "v1_too_many_fields");
		f[i] = s;
		fl[i] = (size_t)((i < 3 ? sp : end) - s);
		s = i < 3 ? sp + 1 : end;
	}
	if (v1_addr(h->family, f[0], fl[0], h->src) == -1 ||
	    v1_addr(h->family, f[1], fl[1], h->dst) == -1)
		return bad(h, h->family == AF_INET ? "v1_bad_ipv4_address" :
		    "v1_bad_ipv6_address");
	if (v1_port(f[2], fl[2], &h->sport) == -1 ||
	    v1_port(f[3], fl[3], &h->dport) == -1)
		return bad(h, "v1_bad_port");
	return PROXY_OK;
}

/*
 * v1_parse - "PROXY ..." up to its CRLF, read a byte at a time (the
 * line's length is unknown until its LF): each call checks what came
 * so far, so garbage is refused at its first wrong byte.
 */
static int
v1_parse(const unsigned char *p, size_t len, struct proxy_hdr *h,
    size_t *need)
{
	static const char prefix[] = "PROXY ";
	const char *s = (const char *)p, *body;
	size_t i, n;

	h->version = 1;
	for (i = 0; i < len && i < sizeof(prefix) - 1; i++)
		if (s[i] != prefix[i])
			return bad(h, "no_proxy_header");
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			break;
		if (s[i] == '\r' && i + 1 < len && s[i + 1] != '\n')
			return bad(h, "v1_cr_without_lf");
		if (s[i] != '\r' && (s[i] < 0x20 || s[i] > 0x7e))
			return bad(h, "v1_control_byte");
	}
	if (i == len) {
		if (len >= PROXY_V1_MAX)
			return bad(h, "v1_too_long");
		*need = 1;
		return PROXY_MORE;
	}
	if (i >= PROXY_V1_MAX)
		return bad(h, "v1_too_long");
	if (i == 0 || s[i - 1] != '\r')
		return bad(h, "v1_bare_lf");
	h->len = i + 1;
	/* the protocol and its fields, without "PROXY " and CRLF */
	if (i - 1 < sizeof(prefix) - 1)
		return bad(h, "v1_no_protocol");
	body = s + sizeof(prefix) - 1;
	n = i - 1 - (sizeof(prefix) - 1);
	/* UNKNOWN: the rest of the line says nothing we may use */
	if (n >= 7 && memcmp(body, "UNKNOWN", 7) == 0 &&
	    (n == 7 || body[7] == ' ')) {
		h->is_local = 1;
		return PROXY_OK;
	}
	if (n < 5 || (memcmp(body, "TCP4 ", 5) != 0 &&
	    memcmp(body, "TCP6 ", 5) != 0))
		return bad(h, "v1_unknown_protocol");
	h->family = body[3] == '4' ? AF_INET : AF_INET6;
	return v1_fields(h, body + 5, n - 5);
}

/* be16 - a 16-bit big-endian number. */
static unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * v2_tlvs - the TLVs after the address block (from off to end) must
 * fill it exactly: each type, 16-bit length and value inside the
 * header.  Their content is skipped: nothing in them is trusted.
 */
static int
v2_tlvs(const unsigned char *p, size_t off, size_t end, struct proxy_hdr *h)
{
	size_t l;

	while (off < end) {
		if (end - off < 3)
			return bad(h, "v2_truncated_tlv");
		l = be16(p + off + 1);
		if (l > end - off - 3)
			return bad(h, "v2_tlv_overrun");
		off += 3 + l;
	}
	return PROXY_OK;
}

/*
 * v2_check - the fixed 16 bytes: version, command, family, transport
 * and a length that holds the family's addresses.  Sets *alen, the
 * address block's size, which is 0 when the block is to be skipped
 * whole (LOCAL, UNSPEC).
 */
static int
v2_check(const unsigned char *p, struct proxy_hdr *h, size_t *alen)
{
	unsigned cmd = p[12] & 0x0f, fam = p[13] >> 4, tr = p[13] & 0x0f;
	size_t len = be16(p + 14);

	if (p[12] >> 4 != 2)
		return bad(h, "v2_unknown_version");
	if (PROXY_V2_HEAD + len > PROXY_MAX)
		return bad(h, "v2_too_long");
	h->len = PROXY_V2_HEAD + len;
	*alen = 0;
	if (cmd == V2_CMD_LOCAL) {
		/* the spec: family and address block are to be ignored */
		h->is_local = 1;
		return PROXY_OK;
	}
	if (cmd != V2_CMD_PROXY)
		return bad(h, "v2_unknown_command");
	if (tr > V2_TR_MAX)
		return bad(h, "v2_unknown_transport");
	switch (fam) {
	case V2_FAM_UNSPEC:
		h->is_local = 1;
		return PROXY_OK;
	case V2_FAM_INET:
		h->family = AF_INET;
		*alen = V2_INET_LEN;
		break;
	case V2_FAM_INET6:
		h->family = AF_INET6;
		*alen = V2_INET6_LEN;
		break;
	case V2_FAM_UNIX:
		h->is_local = 1;
		*alen = V2_UNIX_LEN;
		break;
	default:
		return bad(h, "v2_unknown_family");
	}
	if (len < *alen)
		return bad(h, "v2_short_address_block");
	if (!h->is_local && tr != V2_TR_STREAM)
		return bad(h, "v2_not_stream");
	return PROXY_OK;
}

/*
 * v2_parse - the signature, then the 16 fixed bytes (which give the
 * length), then the rest; each part is checked as soon as it is in.
 */
static int
v2_parse(const unsigned char *p, size_t len, struct proxy_hdr *h,
    size_t *need)
{
	size_t i, alen, a;

	h->version = 2;
	for (i = 0; i < len && i < sizeof(v2_sig); i++)
		if (p[i] != v2_sig[i])
			return bad(h, "no_proxy_header");
	if (len < PROXY_V2_HEAD) {
		*need = PROXY_V2_HEAD - len;
		return PROXY_MORE;
	}
	if (v2_check(p, h, &alen) == PROXY_BAD)
		return PROXY_BAD;
	if (len < h->len) {
		*need = h->len - len;
		return PROXY_MORE;
	}
	if (alen == 0)
		return PROXY_OK;
	if (!h->is_local) {
		a = h->family == AF_INET ? 4 : 16;
		memcpy(h->src, p + PROXY_V2_HEAD, a);
		memcpy(h->dst, p + PROXY_V2_HEAD + a, a);
		h->sport = be16(p + PROXY_V2_HEAD + 2 * a);
		h->dport = be16(p + PROXY_V2_HEAD + 2 * a + 2);
	}
	return v2_tlvs(p, PROXY_V2_HEAD + alen, h->len, h);
}

/*
 * proxy_parse - whether the len bytes at p start with a PROXY header:
 * PROXY_OK (h filled; the header is its first h->len bytes),
 * PROXY_MORE (*need more bytes, all inside the header) or PROXY_BAD
 * (h->why).  Reads nothing past p + len.
 */
int
proxy_parse(const unsigned char *p, size_t len, struct proxy_hdr *h,
    size_t *need)
{
	memset(h, 0, sizeof(*h));
	*need = 0;
	if (len == 0) {
		/* one byte tells v1 ('P') from v2 (CR) */
		*need = 1;
		return PROXY_MORE;
	}
	if (p[0] == 'P')
		return v1_parse(p, len, h, need);
	if (p[0] == v2_sig[0])
		return v2_parse(p, len, h, need);
	return bad(h, "no_proxy_header");
}

/*
 * proxy_client - the client's address of a parsed header as text
 * (inet_ntop's form) into ip; 0, or -1 when it has none (is_local)
 * or ip is too small.
 */
int
proxy_client(const struct proxy_hdr *h, char *ip, size_t size)
{
	if (h->is_local || (h->family != AF_INET && h->family != AF_INET6))
		return -1;
	/* inet_ntop takes a socklen_t; more than this is never needed */
	if (size > INET6_ADDRSTRLEN)
		size = INET6_ADDRSTRLEN;
	return inet_ntop(h->family, h->src, ip, (socklen_t)size) == NULL ?
	    -1 : 0;
}
