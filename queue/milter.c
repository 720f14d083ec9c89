/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * milter - the MTA's side of the milter protocol, version 6 (libmilter's,
 * as Sendmail and Postfix speak it).  A packet is a 32-bit length in
 * network order, a command octet and its data; strings end in NUL.
 * qpost runs a milter after the message is received (qpmilter is a
 * content filter), so the whole conversation, connect to end of message,
 * is sent at once, and any refusal, even of one recipient, refuses the
 * message: a recipient dropped without a word would be mail lost.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp_client.h"
#include "milter.h"

/* commands, MTA to milter */
#define C_BODY		'B'
#define C_CONNECT	'C'
#define C_MACRO		'D'
#define C_EOM		'E'
#define C_HELO		'H'
#define C_HEADER	'L'
#define C_MAIL		'M'
#define C_EOH		'N'
#define C_OPTNEG	'O'
#define C_RCPT		'R'
#define C_DATA		'T'

/* actions a milter may ask for (SMFIF_*) */
#define F_ADDHDRS	0x01
#define F_CHGBODY	0x02
#define F_ADDRCPT	0x04
#define F_DELRCPT	0x08
#define F_CHGHDRS	0x10
#define F_QUARANTINE	0x20
#define F_CHGFROM	0x40
#define F_ADDRCPT_PAR	0x80
#define ACTIONS_OFFERED	(F_ADDHDRS | F_CHGBODY | F_ADDRCPT | F_DELRCPT | \
	F_CHGHDRS | F_QUARANTINE | F_CHGFROM | F_ADDRCPT_PAR)

/* steps a milter may leave out, or answer no reply to (SMFIP_*) */
#define P_NOCONNECT	0x000001
#define P_NOHELO	0x000002
#define P_NOMAIL	0x000004
#define P_NORCPT	0x000008
#define P_NOBODY	0x000010
#define P_NOHDRS	0x000020
#define P_NOEOH		0x000040
#define P_NR_HDR	0x000080
#define P_NODATA	0x000200
#define P_NR_CONN	0x001000
#define P_NR_HELO	0x002000
#define P_NR_MAIL	0x004000
#define P_NR_RCPT	0x008000
#define P_NR_DATA	0x010000
#define P_NR_EOH	0x040000
#define P_NR_BODY	0x080000
#define P_HDR_LEADSPC	0x100000
/* every step bit of version 6: each is honoured below (SKIP: 0x400) */
#define PROTOCOL_OFFERED 0x1fffff

#define VERSION		6

struct sess {
	const struct milter_io	*io;
	struct milter_msg	*m;
	struct milter_result	*r;
	uint32_t		 actions, proto;
	struct sa		 out;		/* the packet being built */
	char			*in;		/* the last reply, NUL added */
	size_t			 inlen, incap;
	char			 cmd;		/* its command */
	struct sa		 newbody;	/* replacement body, CRLF */
	int			 replaced;
	size_t			 added_hdrs, added_rcpts, added_octets;
};

enum { STEP_ON, STEP_SKIP, STEP_DONE, STEP_FAILED };

static int
failed(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(s->r->text, sizeof(s->r->text), fmt, ap);
	va_end(ap);
	s->r->verdict = MILTER_FAILED;
	return STEP_FAILED;
}

/* the packet: its length is filled in by send_packet */
static int
start_packet(struct sess *s, char cmd)
{
	static const char room[4];

	return sa_copyb(&s->out, room, sizeof(room)) == -1 ||
	    sa_catc(&s->out, cmd) == -1 ? -1 : 0;
}

static int
add_string(struct sess *s, const char *str)
{
	return sa_catb(&s->out, str, strlen(str) + 1);
}

static int
send_packet(struct sess *s)
{
	uint32_t n = (uint32_t)s->out.len - 4;

	s->out.s[0] = (char)(n >> 24);
	s->out.s[1] = (char)(n >> 16);
	s->out.s[2] = (char)(n >> 8);
	s->out.s[3] = (char)n;
	if (s->io->write(s->io->arg, s->out.s, s->out.len) == -1)
		return failed(s, "unable to write to the milter: %s",
		    errno != 0 ? strerror(errno) : "connection closed");
	return STEP_ON;
}

static uint32_t
get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	    (uint32_t)u[2] << 8 | u[3];
}

/* read_reply - the next packet into s->cmd, s->in and s->inlen */
static int
read_reply(struct sess *s)
{
	char len[4];
	uint32_t n;
	char *p;

	if (s->io->read(s->io->arg, len, sizeof(len)) == -1)
		goto broken;
	n = get_u32(len);
	if (n == 0 || n > MILTER_PACKET_MAX)
		return failed(s, "the milter sent a packet of %lu octets "
		    "(1 to %d allowed)", (unsigned long)n, MILTER_PACKET_MAX);
	if (n > s->incap) {
		if ((p = realloc(s->in, n)) == NULL)
			return failed(s, "out of memory");
		s->in = p;
		s->incap = n;
	}
	if (s->io->read(s->io->arg, s->in, n) == -1)
		goto broken;
	s->cmd = s->in[0];
	/* the data after the command, over the command's octet, ends in NUL */
	memmove(s->in, s->in + 1, n - 1);
	s->in[n - 1] = '\0';
	s->inlen = n - 1;
	return STEP_ON;
broken:
	return failed(s, "unable to read from the milter: %s",
	    errno != 0 ? strerror(errno) : "connection closed");
}

/* take_string - the NUL-ended string at *off of the reply, or NULL */
static const char *
take_string(struct sess *s, size_t *off)
{
	const char *str = s->in + *off, *end;

	if (*off >= s->inlen ||
	    (end = memchr(str, '\0', s->inlen - *off)) == NULL)
		return NULL;
	*off += (size_t)(end - str) + 1;
	return str;
}

/*
 * copy_printable - src into dst (size bytes) up to its NUL or a byte of
 * stop; a byte outside printable ASCII, or one of unsafe, becomes '?'.
 * Returns the bytes copied.
 */
static size_t
copy_printable(char *dst, size_t size, const char *src, const char *stop,
    const char *unsafe)
{
	size_t i;

	for (i = 0; src[i] != '\0' && strchr(stop, src[i]) == NULL &&
	    i + 1 < size; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f &&
		    strchr(unsafe, src[i]) == NULL ? src[i] : '?';
	dst[i] = '\0';
	return i;
}

/* set_reply - a refusal's text from an 'y' reply: one line, printable */
static int
set_reply(struct sess *s)
{
	const char *t = s->in;

	if (s->inlen < 3 || (t[0] != '4' && t[0] != '5') ||
	    t[1] < '0' || t[1] > '9' || t[2] < '0' || t[2] > '9' ||
	    (t[3] != '\0' && t[3] != ' ' && t[3] != '-'))
		return failed(s, "the milter's reply code is not 4xx or "
		    "5xx: %.40s", t);
	if (copy_printable(s->r->text, sizeof(s->r->text), t, "\r\n", "") > 3)
		s->r->text[3] = ' ';	/* the first line of a multi-line one */
	s->r->verdict = t[0] == '5' ? MILTER_REJECT : MILTER_TEMPFAIL;
	return STEP_DONE;
}

/* settle - the verdicts any step may get: STEP_DONE, or -1 if none */
static int
settle(struct sess *s)
{
	switch (s->cmd) {
	case 'a':
		s->r->verdict = MILTER_ACCEPT;
		return STEP_DONE;
	case 'd':
		s->r->verdict = MILTER_DISCARD;
		(void)strlcpy(s->r->text, "discard", sizeof(s->r->text));
		return STEP_DONE;
	case 'r':
		s->r->verdict = MILTER_REJECT;
		(void)strlcpy(s->r->text, "550 5.7.1 Command rejected",
		    sizeof(s->r->text));
		return STEP_DONE;
	case 't':
		s->r->verdict = MILTER_TEMPFAIL;
		(void)strlcpy(s->r->text, "451 4.7.1 Service unavailable - "
		    "try again later", sizeof(s->r->text));
		return STEP_DONE;
	case 'y':
		return set_reply(s);
	}
	return -1;
}

static const char *
reply_name(char c)
{
	static char name[8];

	if (c > 0x20 && c < 0x7f)
		(void)snprintf(name, sizeof(name), "'%c'", c);
	else
		(void)snprintf(name, sizeof(name), "0x%02x", (unsigned char)c);
	return name;
}

/*
 * step - send the packet built, and unless the milter said it answers
 * nothing here (noreply), read its answer: STEP_ON to go on, STEP_SKIP
 * (body chunks only: send no more), STEP_DONE (a verdict), STEP_FAILED.
 */
static int
step(struct sess *s, uint32_t noreply, int is_body, const char *what)
{
	int v;

	if ((v = send_packet(s)) != STEP_ON || (s->proto & noreply))
		return v;
	for (;;) {
		if ((v = read_reply(s)) != STEP_ON)
			return v;
		if (s->cmd == 'p')		/* progress: keep waiting */
			continue;
		if (s->cmd == 'c')
			return STEP_ON;
		if (s->cmd == 's' && is_body)
			return STEP_SKIP;
		if ((v = settle(s)) != -1)
			return v;
		return failed(s, "the milter answered %s to %s",
		    reply_name(s->cmd), what);
	}
}

/* macros - the values of some of Sendmail's macros, before a step */
static int
macros(struct sess *s, char stage, const char *const *nv)
{
	int any = 0;

	if (start_packet(s, C_MACRO) == -1 || sa_catc(&s->out, stage) == -1)
		return failed(s, "out of memory");
	for (; nv[0] != NULL; nv += 2)
		if (nv[1] != NULL) {
			if (add_string(s, nv[0]) == -1 ||
			    add_string(s, nv[1]) == -1)
				return failed(s, "out of memory");
			any = 1;
		}
	return any ? send_packet(s) : STEP_ON;
}

static int
negotiate(struct sess *s)
{
	static const char offer[12] = {
		0, 0, 0, VERSION,
		0, 0, 0, ACTIONS_OFFERED,
		0, (char)(PROTOCOL_OFFERED >> 16),
		(char)(PROTOCOL_OFFERED >> 8), (char)PROTOCOL_OFFERED
	};
	uint32_t version;
	int v;

	if (start_packet(s, C_OPTNEG) == -1 ||
	    sa_catb(&s->out, offer, sizeof(offer)) == -1)
		return failed(s, "out of memory");
	if ((v = send_packet(s)) != STEP_ON || (v = read_reply(s)) != STEP_ON)
		return v;
	if (s->cmd != 'O' || s->inlen < 12)
		return failed(s, "the milter answered %s (%lu octets) to the "
		    "option negotiation", reply_name(s->cmd),
		    (unsigned long)s->inlen);
	version = get_u32(s->in);
	s->actions = get_u32(s->in + 4);
	/* libmilter may add its own internal bits: only the steps count */
	s->proto = get_u32(s->in + 8) & PROTOCOL_OFFERED;
	if (version < 2)
		return failed(s, "the milter speaks protocol version %lu; "
		    "2 to 6 are understood", (unsigned long)version);
	if (s->actions & ~(uint32_t)ACTIONS_OFFERED)
		return failed(s, "the milter asks for actions 0x%lx, of which "
		    "qpost allows 0x%x",
		    (unsigned long)s->actions, ACTIONS_OFFERED);
	return STEP_ON;
}

static int
send_connect(struct sess *s, const struct milter_conn *c)
{
	const char *nv[] = { "j", c->me, "{daemon_name}", "qpost",
	    "{client_addr}", c->ip, "{client_name}", c->host, NULL };
	char host[256];
	int v;
	unsigned long port;

	/* as Sendmail: a client without a name is its address in brackets */
	if (c->host != NULL)
		(void)strlcpy(host, c->host, sizeof(host));
	else if (c->ip != NULL)
		(void)snprintf(host, sizeof(host), "[%s]", c->ip);
	else
		(void)strlcpy(host, "localhost", sizeof(host));
	if ((v = macros(s, C_CONNECT, nv)) != STEP_ON)
		return v;
	if (start_packet(s, C_CONNECT) == -1 || add_string(s, host) == -1)
		return failed(s, "out of memory");
	if (c->ip == NULL) {
		if (sa_catc(&s->out, 'U') == -1)	/* no address */
			return failed(s, "out of memory");
	} else {
		port = c->port != NULL ? strtoul(c->port, NULL, 10) : 0;
		if (sa_catc(&s->out, strchr(c->ip, ':') ? '6' : '4') == -1 ||
		    sa_catc(&s->out, (char)(port >> 8 & 0xff)) == -1 ||
		    sa_catc(&s->out, (char)(port & 0xff)) == -1 ||
		    add_string(s, c->ip) == -1)
			return failed(s, "out of memory");
	}
	return step(s, P_NR_CONN, 0, "the connect");
}

/* step_bare - a step whose packet is its command alone (DATA, EOH) */
static int
step_bare(struct sess *s, char cmd, uint32_t noreply, const char *what)
{
	if (start_packet(s, cmd) == -1)
		return failed(s, "out of memory");
	return step(s, noreply, 0, what);
}

/* send_address - MAIL or RCPT, the address in brackets */
static int
send_address(struct sess *s, char cmd, const char *addr, uint32_t noreply)
{
	if (start_packet(s, cmd) == -1 || sa_catc(&s->out, '<') == -1 ||
	    sa_catb(&s->out, addr, strlen(addr)) == -1 ||
	    add_string(s, ">") == -1)
		return failed(s, "out of memory");
	return step(s, noreply, 0, cmd == C_MAIL ? "MAIL" : "RCPT");
}

static int
send_envelope(struct sess *s, const struct milter_conn *c)
{
	const char *mail_nv[] = { "i", c->id, "{mail_addr}", s->m->sender,
	    "{auth_authen}", c->auth_user, NULL };
	const char *rcpt_nv[] = { "{rcpt_addr}", NULL, NULL };
	size_t i;
	int v;

	if (!(s->proto & P_NOHELO) && c->helo != NULL) {
		if (start_packet(s, C_HELO) == -1 || add_string(s, c->helo) == -1)
			return failed(s, "out of memory");
		if ((v = step(s, P_NR_HELO, 0, "HELO")) != STEP_ON)
			return v;
	}
	if (!(s->proto & P_NOMAIL) &&
	    ((v = macros(s, C_MAIL, mail_nv)) != STEP_ON ||
	    (v = send_address(s, C_MAIL, s->m->sender, P_NR_MAIL)) != STEP_ON))
		return v;
	for (i = 0; !(s->proto & P_NORCPT) && i < s->m->nrcpt; i++) {
		rcpt_nv[1] = s->m->rcpt[i];
		if ((v = macros(s, C_RCPT, rcpt_nv)) != STEP_ON ||
		    (v = send_address(s, C_RCPT, s->m->rcpt[i],
		    P_NR_RCPT)) != STEP_ON)
			return v;
	}
	if (!(s->proto & P_NODATA))
		return step_bare(s, C_DATA, P_NR_DATA, "DATA");
	return STEP_ON;
}

static int
send_headers(struct sess *s)
{
	const struct milter_hdr *h;
	const char *value;
	size_t i;
	int v;

	for (i = 0; !(s->proto & P_NOHDRS) && i < s->m->nhdr; i++) {
		h = &s->m->hdr[i];
		value = h->value;
		/* as Sendmail: one space after the colon is not the value's */
		if (!(s->proto & P_HDR_LEADSPC) && value[0] == ' ')
			value++;
		if (start_packet(s, C_HEADER) == -1 ||
		    add_string(s, h->name) == -1 || add_string(s, value) == -1)
			return failed(s, "out of memory");
		if ((v = step(s, P_NR_HDR, 0, "a header field")) != STEP_ON)
			return v;
	}
	if (!(s->proto & P_NOEOH))
		return step_bare(s, C_EOH, P_NR_EOH, "the end of the header");
	return STEP_ON;
}

/* send_body - the body in chunks, its line ends CRLF as on the wire */
static int
send_body(struct sess *s)
{
	const char *p, *end;
	int v;

	if ((s->proto & P_NOBODY) || s->m->body.len == 0)
		return STEP_ON;
	p = s->m->body.s;
	end = p + s->m->body.len;
	while (p < end) {
		if (start_packet(s, C_BODY) == -1)
			return failed(s, "out of memory");
		/* a chunk is at most MILTER_CHUNK octets: stop one short */
		while (p < end && s->out.len - 5 < MILTER_CHUNK - 1) {
			if (*p == '\n' && (p == s->m->body.s || p[-1] != '\r') &&
			    sa_catc(&s->out, '\r') == -1)
				return failed(s, "out of memory");
			if (sa_catc(&s->out, *p++) == -1)
				return failed(s, "out of memory");
		}
		v = step(s, P_NR_BODY, 1, "a body chunk");
		if (v == STEP_SKIP)
			return STEP_ON;
		if (v != STEP_ON)
			return v;
	}
	return STEP_ON;
}

/* strip_brackets - an address as a milter gives it, into a new string */
static char *
strip_brackets(const char *a)
{
	size_t n = strlen(a), i;

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		a++;
		n -= 2;
	}
	if (n > 998)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return NULL;
	return strndup(a, n);
}

static int
add_rcpt(struct sess *s, const char *a)
{
	char **v, *r;

	if (++s->added_rcpts > MILTER_RCPTS_MAX)
		return failed(s, "the milter added more than %d recipients",
		    MILTER_RCPTS_MAX);
	if ((r = strip_brackets(a)) == NULL || r[0] == '\0') {
		free(r);
		return failed(s, "the milter added a malformed recipient");
	}
	if ((v = reallocarray(s->m->rcpt, s->m->nrcpt + 1, sizeof(*v))) ==
	    NULL) {
		free(r);
		return failed(s, "out of memory");
	}
	s->m->rcpt = v;
	v[s->m->nrcpt++] = r;
	return STEP_ON;
}

static int
del_rcpt(struct sess *s, const char *a)
{
	char *r;
	size_t i, j;

	if ((r = strip_brackets(a)) == NULL)
		return failed(s, "the milter removed a malformed recipient");
	for (i = j = 0; i < s->m->nrcpt; i++)
		if (strcasecmp(s->m->rcpt[i], r) == 0)
			free(s->m->rcpt[i]);
		else
			s->m->rcpt[j++] = s->m->rcpt[i];
	s->m->nrcpt = j;
	free(r);
	return STEP_ON;
}

static int
change_from(struct sess *s, const char *a)
{
	char *r;

	if ((r = strip_brackets(a)) == NULL)
		return failed(s, "the milter set a malformed sender");
	free(s->m->sender);
	s->m->sender = r;
	return STEP_ON;
}

/* header_name_ok - printable, no colon, not empty */
static int
header_name_ok(const char *n)
{
	if (*n == '\0' || strlen(n) > 256)
		return 0;
	for (; *n != '\0'; n++)
		if (*n <= 0x20 || *n >= 0x7f || *n == ':')
			return 0;
	return 1;
}

/*
 * stored_value - a value from the milter as the message stores it: CRLF
 * to LF, the space after the colon added back, and every line after the
 * first folded (starting with a space or tab), else it would be a new
 * field.  NULL when it is not that.
 */
static char *
stored_value(struct sess *s, const char *v)
{
	struct sa out = SA_INIT;

	/* what a milter may add in all, so that it cannot fill memory */
	if ((s->added_octets += strlen(v)) > MILTER_ADDED_MAX)
		return NULL;

	if (!(s->proto & P_HDR_LEADSPC) && *v != '\0' &&
	    sa_catc(&out, ' ') == -1)
		return NULL;
	for (; *v != '\0'; v++) {
		if (*v == '\r' && v[1] == '\n')
			continue;
		if (*v == '\r' || (*v == '\n' && v[1] != ' ' && v[1] != '\t') ||
		    sa_catc(&out, *v) == -1) {
			sa_free(&out);
			return NULL;
		}
	}
	if (sa_0(&out) == -1) {		/* out.s is then never NULL */
		sa_free(&out);
		return NULL;
	}
	return out.s;
}

/* insert_header - at position pos (clamped), name and value copied */
static int
insert_header(struct sess *s, size_t pos, const char *name, const char *v)
{
	struct milter_hdr *h;
	char *n, *val;

	if (++s->added_hdrs > MILTER_HDRS_MAX)
		return failed(s, "the milter added more than %d header fields",
		    MILTER_HDRS_MAX);
	if (!header_name_ok(name))
		return failed(s, "the milter gave a malformed header field "
		    "name");
	if ((val = stored_value(s, v)) == NULL)
		return failed(s, "the milter gave a malformed value for %s",
		    name);
	if ((n = strdup(name)) == NULL ||
	    (h = reallocarray(s->m->hdr, s->m->nhdr + 1, sizeof(*h))) ==
	    NULL) {
		free(n);
		free(val);
		return failed(s, "out of memory");
	}
	s->m->hdr = h;
	if (pos > s->m->nhdr)
		pos = s->m->nhdr;
	memmove(h + pos + 1, h + pos, (s->m->nhdr - pos) * sizeof(*h));
	h[pos].name = n;
	h[pos].value = val;
	s->m->nhdr++;
	return STEP_ON;
}

/* change_header - the index'th field of that name (from 1): replaced, or
   deleted when the value is empty; added when there is no such field */
static int
change_header(struct sess *s, uint32_t index, const char *name,
    const char *v)
{
	struct milter_hdr *h = s->m->hdr;
	size_t i;
	char *val;

	for (i = 0; i < s->m->nhdr; i++)
		if (strcasecmp(h[i].name, name) == 0 && --index == 0)
			break;
	if (i == s->m->nhdr)
		return *v == '\0' ? STEP_ON :
		    insert_header(s, s->m->nhdr, name, v);
	if (*v == '\0') {
		free(h[i].name);
		free(h[i].value);
		memmove(h + i, h + i + 1, (s->m->nhdr - i - 1) * sizeof(*h));
		s->m->nhdr--;
		return STEP_ON;
	}
	if ((val = stored_value(s, v)) == NULL)
		return failed(s, "the milter gave a malformed value for %s",
		    name);
	free(h[i].value);
	h[i].value = val;
	return STEP_ON;
}

/* modify - one change asked for at the end of the message */
static int
modify(struct sess *s)
{
	static const struct { char cmd; uint32_t action; } need[] = {
		{ 'h', F_ADDHDRS }, { 'i', F_ADDHDRS }, { 'm', F_CHGHDRS },
		{ 'b', F_CHGBODY }, { '+', F_ADDRCPT }, { '2', F_ADDRCPT_PAR },
		{ '-', F_DELRCPT }, { 'e', F_CHGFROM },
	};
	const char *a, *b;
	size_t i, off = 0;
	uint32_t index = 0;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (need[i].cmd == s->cmd)
			break;
	if (i == sizeof(need) / sizeof(need[0]))
		return -1;			/* not a change */
	if (!(s->actions & need[i].action))
		return failed(s, "the milter made a change (%s) it did not "
		    "ask for in the negotiation", reply_name(s->cmd));
	s->m->changed = 1;
	if (s->cmd == 'b') {
		s->replaced = 1;
		if (s->newbody.len + s->inlen > MILTER_BODY_MIN &&
		    s->newbody.len + s->inlen > 2 * s->m->body.len)
			return failed(s, "the milter's new body is larger than "
			    "%d MiB and twice the old one", MILTER_BODY_MIN >> 20);
		return sa_catb(&s->newbody, s->in, s->inlen) == -1 ?
		    failed(s, "out of memory") : STEP_ON;
	}
	if (s->cmd == 'i' || s->cmd == 'm') {
		if (s->inlen < 4)
			return failed(s, "the milter sent a short %s",
			    reply_name(s->cmd));
		index = get_u32(s->in);
		off = 4;
	}
	if ((a = take_string(s, &off)) == NULL)
		return failed(s, "the milter sent a malformed %s",
		    reply_name(s->cmd));
	b = take_string(s, &off);
	switch (s->cmd) {
	case 'h':
	case 'i':
	case 'm':
		if (b == NULL)
			return failed(s, "the milter sent a header field "
			    "without a value");
		if (s->cmd == 'm')
			return change_header(s, index, a, b);
		return insert_header(s, s->cmd == 'h' ? s->m->nhdr : index,
		    a, b);
	case '+':
	case '2':
		return add_rcpt(s, a);	/* ESMTP arguments are not kept */
	case '-':
		return del_rcpt(s, a);
	default:
		return change_from(s, a);
	}
}

/*
 * quarantine - the milter asks for the message to be put aside (queued
 * held, for qctl release), with its reason: kept printable for the log
 */
static int
quarantine(struct sess *s)
{
	const char *why;
	size_t off = 0;

	if (!(s->actions & F_QUARANTINE))
		return failed(s, "the milter asked for a quarantine it did not "
		    "ask for in the negotiation");
	if ((why = take_string(s, &off)) == NULL)
		return failed(s, "the milter sent a malformed %s",
		    reply_name(s->cmd));
	s->m->quarantined = 1;
	(void)copy_printable(s->m->quarantine, sizeof(s->m->quarantine), why,
	    "", "\"");
	return STEP_ON;
}

/* new_body - the replacement body, CRLF back to LF */
static int
new_body(struct sess *s)
{
	struct sa *b = &s->m->body;
	size_t i;

	b->len = 0;
	/* a body needs the blank line before it, or it would be header */
	if (s->newbody.len > 0)
		s->m->has_blank = 1;
	for (i = 0; i < s->newbody.len; i++)
		if (!(s->newbody.s[i] == '\r' && i + 1 < s->newbody.len &&
		    s->newbody.s[i + 1] == '\n') &&
		    sa_catc(b, s->newbody.s[i]) == -1)
			return failed(s, "out of memory");
	return STEP_ON;
}

static int
end_of_message(struct sess *s, const struct milter_conn *c)
{
	const char *nv[] = { "i", c->id, NULL };
	int v;

	if ((v = macros(s, C_EOM, nv)) != STEP_ON)
		return v;
	if (start_packet(s, C_EOM) == -1)
		return failed(s, "out of memory");
	if ((v = send_packet(s)) != STEP_ON)
		return v;
	for (;;) {
		if ((v = read_reply(s)) != STEP_ON)
			return v;
		if (s->cmd == 'p')
			continue;
		if (s->cmd == 'q') {
			if ((v = quarantine(s)) != STEP_ON)
				return v;
			continue;
		}
		if ((v = modify(s)) == STEP_FAILED)
			return v;
		if (v == STEP_ON)
			continue;
		if (s->cmd == 'c')
			s->cmd = 'a';
		if ((v = settle(s)) != -1)
			break;
		return failed(s, "the milter answered %s to the end of the "
		    "message", reply_name(s->cmd));
	}
	if (s->r->verdict == MILTER_ACCEPT && s->replaced)
		return new_body(s);
	return v;
}

void
milter_session(const struct milter_io *io, const struct milter_conn *c,
    struct milter_msg *m, struct milter_result *r)
{
	struct sess s;
	int v;

	memset(&s, 0, sizeof(s));
	s.io = io;
	s.m = m;
	s.r = r;
	r->verdict = MILTER_ACCEPT;
	r->text[0] = '\0';
	if ((v = negotiate(&s)) == STEP_ON &&
	    ((s.proto & P_NOCONNECT) ||
	    (v = send_connect(&s, c)) == STEP_ON) &&
	    (v = send_envelope(&s, c)) == STEP_ON &&
	    (v = send_headers(&s)) == STEP_ON &&
	    (v = send_body(&s)) == STEP_ON)
		(void)end_of_message(&s, c);
	/* QUIT, so that the milter closes quietly; its failure is no news */
	if (r->verdict != MILTER_FAILED)
		(void)io->write(io->arg, "\0\0\0\1Q", 5);
	if (r->verdict == MILTER_ACCEPT && m->nrcpt == 0) {
		r->verdict = MILTER_DISCARD;
		(void)strlcpy(r->text, "the milter removed every recipient",
		    sizeof(r->text));
	}
	sa_free(&s.out);
	sa_free(&s.newbody);
	free(s.in);
}

int
milter_dest_parse(const char *spec, struct lmtp_dest *d)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return lmtp_dest_parse(spec, d);
	/* inet: is TCP only, never inet:unix:/path */
	if (strncmp(spec, "inet:", 5) == 0 && strncmp(spec + 5, "unix:", 5) != 0)
		return lmtp_dest_parse(spec + 5, d);
	return -1;
}
