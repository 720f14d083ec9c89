/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lmtp_client - one LMTP session (RFC 2033) that hands a message to a
 * mail store for several recipients and keeps one answer for each.
 * See lmtp_client.h.  local uses it for `lmtp:' instructions.
 *
 * After the message an LMTP server sends one reply per accepted
 * recipient, in RCPT order; a server that sends fewer, or garbage,
 * leaves the rest unanswered: those are temporary failures, never
 * "delivered" (a recipient may then get the message twice, which is
 * the safe side: RFC 2033 4.2 and RFC 5321 6.1).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "lmtp_client.h"
#include "smtp_dot.h"
#include "smtp_reply.h"
#include "sock_connect.h"

/* seconds a reply may take, unless control/timeoutremote says */
#define T_REPLY		300
#define T_FINAL		600	/* each reply after the message */
#define T_QUIT		10

struct session {
	const struct lmtp_cfg	*c;
	const char		*where;		/* "lmtp unix:/path" */
	struct buf		*in, *out;
	const struct lmtp_msg	*m;
	struct lmtp_result	*res;
	int			*done;		/* res[i] is final */
	int			 is_lost;	/* connection out of step */
	struct smtp_reply	 r;
	struct smtp_ext		 ext;
};

/* --- where the server is ------------------------------------------ */

/* parse_port - "1".."65535", digits only: the port, or -1. */
static int
parse_port(const char *s)
{
	size_t n = strlen(s), i;
	int port = 0;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535 ? port : -1;
}

/* host_ok - a host name or IPv4 address: letters, digits, '.', '-'. */
static int
host_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ADDR_DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* path_ok - an absolute socket path without control bytes. */
static int
path_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || s[0] != '/' || n >= LMTP_PATH_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * lmtp_dest_parse - "unix:/path", "host:port" or "[v6]:port" into d;
 * 0, or -1 for anything else (d then holds nothing useful).
 */
int
lmtp_dest_parse(const char *s, struct lmtp_dest *d)
{
	struct in6_addr a6;
	const char *colon, *end;
	char v6[64];
	size_t n;

	memset(d, 0, sizeof(*d));
	if (strncmp(s, "unix:", 5) == 0) {
		if (!path_ok(s + 5))
			return -1;
		d->is_unix = 1;
		(void)strlcpy(d->path, s + 5, sizeof(d->path));
		(void)snprintf(d->name, sizeof(d->name), "unix:%s", d->path);
		return 0;
	}
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':' ||
		    (n = (size_t)(end - s - 1)) == 0 || n >= sizeof(v6))
			return -1;
		memcpy(v6, s + 1, n);
		v6[n] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1 ||
		    (d->port = parse_port(end + 2)) == -1)
			return -1;
		(void)strlcpy(d->host, v6, sizeof(d->host));
		(void)snprintf(d->name, sizeof(d->name), "[%s]:%d", d->host,
		    d->port);
		return 0;
	}
	if ((colon = strchr(s, ':')) == NULL ||
	    !host_ok(s, (size_t)(colon - s)) ||
	    (d->port = parse_port(colon + 1)) == -1)
		return -1;
	memcpy(d->host, s, (size_t)(colon - s));
	d->host[colon - s] = '\0';
	(void)snprintf(d->name, sizeof(d->name), "%s:%d", d->host, d->port);
	return 0;
}

/* --- results -------------------------------------------------------- */

/* status_of - 2xx delivered, 5xx permanent, anything else temporary. */
static int
status_of(int code)
{
	return code >= 200 && code < 300 ? LMTP_OK : code >= 500 &&
	    code < 600 ? LMTP_PERM : LMTP_TEMP;
}

/* vset - recipient i's final result, unless it has one. */
static void
vset(struct session *s, size_t i, int status, int code, const char *fmt,
    va_list ap)
{
	if (s->done[i])
		return;
	s->done[i] = 1;
	s->res[i].status = status;
	s->res[i].code = code;
	(void)vsnprintf(s->res[i].text, sizeof(s->res[i].text), fmt, ap);
}

/* set_one - recipient i's final result, unless it has one. */
static void __attribute__((format(printf, 5, 6)))
set_one(struct session *s, size_t i, int status, int code, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(s, i, status, code, fmt, ap);
	va_end(ap);
}

/*
 * set_open - the same result for every recipient without one; with
 * only_accepted, for those whose RCPT was accepted.
 */
static void __attribute__((format(printf, 5, 6)))
set_open(struct session *s, int only_accepted, int status, int code,
    const char *fmt, ...)
{
	va_list ap;
	size_t i;

	for (i = 0; i < s->m->nrcpt; i++) {
		if (only_accepted && !s->res[i].is_accepted)
			continue;
		va_start(ap, fmt);
		vset(s, i, status, code, fmt, ap);
		va_end(ap);
	}
}

/*
 * said - "5.1.1 lmtp X said: 550 5.1.1 ... (in reply to CMD)", led by
 * the reply's enhanced code when its class is that of status (a 2xx
 * or 3xx where none belongs is a temporary failure: "4.0.0").
 */
static void
said(struct session *s, const char *cmd, int status, char *out,
    size_t size)
{
	char line[512], dsn[16];
	char cls = status == LMTP_OK ? '2' : status == LMTP_PERM ? '5' : '4';

	smtp_reply_dsn(&s->r, dsn, sizeof(dsn));
	if (dsn[0] != cls)
		(void)snprintf(dsn, sizeof(dsn), "%c.0.0", cls);
	smtp_reply_oneline(&s->r, line, sizeof(line));
	(void)snprintf(out, size, "%s %s said: %s (in reply to %s)", dsn,
	    s->where, line, cmd);
}

/* --- the dialogue ----------------------------------------------------- */

/* timeout_ms - a reply's time limit: control/timeoutremote, or ours. */
static int
timeout_ms(const struct session *s, int ours)
{
	return (s->c->timeout > 0 ? s->c->timeout : ours) * 1000;
}

/* send_line - a command line, CRLF added, flushed.  0 or -1. */
static int
send_line(struct session *s, const char *line)
{
	s->out->timeout = timeout_ms(s, T_REPLY);
	return buf_puts(s->out, line) == -1 ||
	    buf_puts(s->out, "\r\n") == -1 || buf_flush(s->out) == -1 ?
	    -1 : 0;
}

/*
 * step - send cmd (unless NULL) and read its reply: the code, or 0
 * when the connection failed (every open recipient then has a
 * temporary result saying so).
 */
static int
step(struct session *s, const char *cmd, const char *what)
{
	int code;

	if (cmd != NULL && send_line(s, cmd) == -1) {
		s->is_lost = 1;
		set_open(s, 0, LMTP_TEMP, 0, "4.4.2 %s: connection lost "
		    "sending %s: %s", s->where, what, strerror(errno));
		return 0;
	}
	if ((code = smtp_reply_read(s->in, &s->r, timeout_ms(s, T_REPLY))) <
	    0) {
		s->is_lost = 1;
		set_open(s, 0, LMTP_TEMP, 0, "4.4.2 %s: %s (waiting for the "
		    "reply to %s)", s->where, smtp_reply_strerror(code), what);
		return 0;
	}
	return code;
}

/*
 * refused - a reply that ends the session for every open recipient:
 * permanent for a 5xx only when is_perm_ok, temporary otherwise.
 */
static void
refused(struct session *s, const char *what, int is_perm_ok)
{
	char text[LMTP_TEXT_MAX];
	int st = status_of(s->r.code);

	if (st == LMTP_OK || (st == LMTP_PERM && !is_perm_ok))
		st = LMTP_TEMP;
	said(s, what, st, text, sizeof(text));
	set_open(s, 0, st, s->r.code, "%s", text);
}

/* is_8bit - the prefix or the message has a byte over 0x7f. */
static int
is_8bit(const struct lmtp_msg *m)
{
	char chunk[16384];
	off_t off = 0;
	ssize_t n, k;

	if (!addr_is_ascii(m->prefix))
		return 1;
	while ((n = pread(m->fd, chunk, sizeof(chunk), off)) > 0) {
		for (k = 0; k < n; k++)
			if ((unsigned char)chunk[k] > 0x7f)
				return 1;
		off += n;
	}
	return 0;
}

/* needs_utf8 - an address of the envelope is not ASCII. */
static int
needs_utf8(const struct lmtp_msg *m)
{
	size_t i;

	if (!addr_is_ascii(m->sender))
		return 1;
	for (i = 0; i < m->nrcpt; i++)
		if (!addr_is_ascii(m->rcpt[i]))
			return 1;
	return 0;
}

/* greet - the greeting and LHLO.  0 to go on, -1 when over. */
static int
greet(struct session *s)
{
	char line[ADDR_DOMAIN_MAX + 8];
	int code;

	if ((code = step(s, NULL, "the greeting")) == 0)
		return -1;
	if (code != 220) {
		refused(s, "the greeting", 0);
		return -1;
	}
	(void)snprintf(line, sizeof(line), "LHLO %s", s->c->helo);
	if ((code = step(s, line, "LHLO")) == 0)
		return -1;
	if (code < 200 || code >= 300) {
		refused(s, "LHLO", 0);	/* not an LMTP server: the admin's */
		return -1;
	}
	smtp_ehlo_parse(&s->r, &s->ext);
	return 0;
}

/*
 * envelope - MAIL FROM, then RCPT TO for each recipient in turn.
 * Parameters only where the message needs them and the server offers
 * them (RFC 6152, RFC 6531).  Returns how many were accepted (0 also
 * when the connection failed: s->is_lost).
 */
static size_t
envelope(struct session *s)
{
	char line[ADDR_PATH_MAX * 4 + 64], text[LMTP_TEXT_MAX];
	size_t i, naccepted = 0;
	int code;

	(void)snprintf(line, sizeof(line), "MAIL FROM:<%s>%s%s",
	    s->m->sender, s->ext.eightbitmime && is_8bit(s->m) ?
	    " BODY=8BITMIME" : "", s->ext.smtputf8 && needs_utf8(s->m) ?
	    " SMTPUTF8" : "");
	if ((code = step(s, line, "MAIL FROM")) == 0)
		return 0;
	if (code < 200 || code >= 300) {
		refused(s, "MAIL FROM", 1);
		return 0;
	}
	for (i = 0; i < s->m->nrcpt; i++) {
		(void)snprintf(line, sizeof(line), "RCPT TO:<%s>",
		    s->m->rcpt[i]);
		if ((code = step(s, line, "RCPT TO")) == 0)
			return 0;
		if (code >= 200 && code < 300) {
			s->res[i].is_accepted = 1;
			naccepted++;
			continue;
		}
		said(s, "RCPT TO", status_of(code), text, sizeof(text));
		set_one(s, i, status_of(code), code, "%s", text);
	}
	return naccepted;
}

/* put_message - the prefix and the file as DATA.  0, -1 buf, -2 file. */
static int
put_message(struct session *s)
{
	struct smtp_dot d;
	int r;

	smtp_dot_init(&d);
	s->out->timeout = timeout_ms(s, T_REPLY);
	if (smtp_dot_put(&d, s->out, s->m->prefix, strlen(s->m->prefix)) ==
	    -1)
		return -1;
	if ((r = smtp_dot_file(&d, s->out, s->m->fd)) != 0)
		return r;
	if (smtp_dot_end(&d, s->out) == -1 || buf_flush(s->out) == -1)
		return -1;
	return 0;
}

/*
 * message - DATA, the message, then one reply per accepted recipient
 * in RCPT order.
 */
static void
message(struct session *s)
{
	char text[LMTP_TEXT_MAX];
	size_t i;
	int code, r;

	if ((code = step(s, "DATA", "DATA")) == 0)
		return;
	if (code != 354) {
		refused(s, "DATA", 1);
		return;
	}
	if ((r = put_message(s)) != 0) {
		s->is_lost = 1;
		if (r == -2)
			set_open(s, 1, LMTP_TEMP, 0, "4.3.0 unable to read "
			    "the message file: %s", strerror(errno));
		else
			set_open(s, 1, LMTP_TEMP, 0, "4.4.2 %s: connection "
			    "lost sending the message: %s", s->where,
			    strerror(errno));
		return;
	}
	for (i = 0; i < s->m->nrcpt; i++) {
		if (!s->res[i].is_accepted || s->done[i])
			continue;
		code = smtp_reply_read(s->in, &s->r, timeout_ms(s, T_FINAL));
		if (code < 0) {
			s->is_lost = 1;
			set_open(s, 1, LMTP_TEMP, 0, "4.4.2 %s: %s waiting "
			    "for the reply for <%s> after the message was "
			    "sent (it may arrive twice)", s->where,
			    smtp_reply_strerror(code), s->m->rcpt[i]);
			return;
		}
		said(s, "end of data", status_of(code), text, sizeof(text));
		set_one(s, i, status_of(code), code, "%s", text);
	}
}

void
lmtp_session(const struct lmtp_cfg *c, const char *where, struct buf *in,
    struct buf *out, const struct lmtp_msg *m, struct lmtp_result *res)
{
	struct session s;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.where = where;
	s.in = in;
	s.out = out;
	s.m = m;
	s.res = res;
	if (m->nrcpt == 0)
		return;
	if ((s.done = calloc(m->nrcpt, sizeof(int))) == NULL) {
		for (i = 0; i < m->nrcpt; i++) {
			res[i].status = LMTP_TEMP;
			res[i].code = 0;
			res[i].is_accepted = 0;
			(void)strlcpy(res[i].text, "4.3.0 out of memory",
			    sizeof(res[i].text));
		}
		return;
	}
	for (i = 0; i < m->nrcpt; i++)
		memset(&res[i], 0, sizeof(res[i]));
	smtp_reply_init(&s.r);
	if (greet(&s) == 0 && envelope(&s) > 0 && !s.is_lost)
		message(&s);
	if (!s.is_lost && send_line(&s, "QUIT") == 0)
		(void)smtp_reply_read(in, &s.r, T_QUIT * 1000);
	/* nothing stays open: a bug above must not read as delivered */
	set_open(&s, 0, LMTP_TEMP, 0, "4.3.0 %s: the session ended "
	    "without an answer", where);
	free(s.done);
}

/* --- the connection ------------------------------------------------- */

/*
 * lmtp_io - the buf transport: recv and send on the non-blocking
 * socket, send with MSG_NOSIGNAL so a server that closes costs an
 * EPIPE, not the process (local must not change SIGPIPE's disposition:
 * the programs it runs would inherit it).
 */
static ssize_t
lmtp_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	ssize_t r;

	(void)ctx;
	do
		r = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
	while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return writing ? BUF_WANT_WRITE : BUF_WANT_READ;
	return r;
}

/* connect_unix - a connected socket to d->path, or -1 (errno). */
static int
connect_unix(const struct lmtp_dest *d, int timeout)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, d->path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (sock_connect(fd, (struct sockaddr *)&sun, sizeof(sun),
	    timeout) == -1) {
		e = errno;
		close(fd);
		return (errno = e, -1);
	}
	return fd;
}

/*
 * connect_tcp - a connected socket to d->host, d->port (each address
 * of a name in turn), or -1 with why saying what failed.
 */
static int
connect_tcp(const struct lmtp_dest *d, int timeout, char *why, size_t size)
{
	struct addrinfo hints, *res, *ai;
	char port[8];
	int fd = -1, e = 0, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	(void)snprintf(port, sizeof(port), "%d", d->port);
	if ((rc = getaddrinfo(d->host, port, &hints, &res)) != 0) {
		(void)snprintf(why, size, "looking up %s: %s", d->host,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			e = errno;
			continue;
		}
		if (sock_connect(fd, ai->ai_addr, ai->ai_addrlen, timeout) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		(void)snprintf(why, size, "connect: %s", e == ETIMEDOUT ?
		    "timed out" : strerror(e));
	return fd;
}

int
lmtp_dest_connect(const struct lmtp_dest *d, int timeout, char *why,
    size_t size)
{
	int fd;

	if (!d->is_unix)
		return connect_tcp(d, timeout, why, size);
	if ((fd = connect_unix(d, timeout)) == -1)
		(void)snprintf(why, size, "connect: %s", errno == ETIMEDOUT ?
		    "timed out" : strerror(errno));
	return fd;
}

void
lmtp_deliver(const struct lmtp_cfg *c, const struct lmtp_dest *d,
    const struct lmtp_msg *m, struct lmtp_result *res)
{
	char where[sizeof(d->name) + 8], why[300];
	char instore[4096], outstore[16384];
	struct buf in, out;
	size_t i;
	int fd;

	(void)snprintf(where, sizeof(where), "lmtp %s", d->name);
	if ((fd = lmtp_dest_connect(d, c->timeout_connect, why,
	    sizeof(why))) == -1) {
		for (i = 0; i < m->nrcpt; i++) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].status = LMTP_TEMP;
			(void)snprintf(res[i].text, sizeof(res[i].text),
			    "4.4.1 %s: %s", where, why);
		}
		return;
	}
	buf_init(&in, fd, instore, sizeof(instore));
	buf_init(&out, fd, outstore, sizeof(outstore));
	buf_transport(&in, lmtp_io, NULL);
	buf_transport(&out, lmtp_io, NULL);
	lmtp_session(c, where, &in, &out, m, res);
	close(fd);
}
