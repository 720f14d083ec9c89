/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtp_reply - read and parse SMTP server replies for remote.  See
 * smtp_reply.h.  The server is a stranger: every line is checked before
 * a byte of it is kept, nothing grows with what it sends, and the time
 * one reply may take is bounded as a whole, not per read.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "smtp_reply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->textlen = 0;
	r->text[0] = '\0';
	r->lcode = 0;
	r->state = SMTP_RS_MORE;
	r->truncated = 0;
}

/* reply_code - the code at the start of line, or -1 if it is none. */
static int
reply_code(const char *line)
{
	if (line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' ||
	    line[2] < '0' || line[2] > '9')
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/*
 * text_add - append one line's text, lines joined by '\n'; control
 * bytes become '?' so the text is safe to log and holds no NUL; what
 * does not fit is dropped and noted.
 */
static void
text_add(struct smtp_reply *r, const char *s, size_t n)
{
	unsigned char c;
	size_t i;

	if (r->nlines > 1) {
		if (r->textlen == SMTP_REPLY_TEXT_MAX)
			r->truncated = 1;
		else
			r->text[r->textlen++] = '\n';
	}
	for (i = 0; i < n; i++) {
		if (r->textlen == SMTP_REPLY_TEXT_MAX) {
			r->truncated = 1;
			break;
		}
		c = (unsigned char)s[i];
		r->text[r->textlen++] = (c < 0x20 && c != '\t') || c == 0x7f ?
		    '?' : (char)c;
	}
	r->text[r->textlen] = '\0';
}

/*
 * smtp_reply_feed - take one line of a reply (its CRLF or LF removed):
 * 1 when it ends the reply, 0 when more follow, -1 when it is malformed
 * (the reply then stays malformed) or comes after the end.
 */
int
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	int code;

	if (r->state != SMTP_RS_MORE)
		return -1;
	if (len < 3 || len > SMTP_REPLY_LINE_MAX ||
	    (code = reply_code(line)) == -1 ||
	    (len > 3 && line[3] != '-' && line[3] != ' ') ||
	    (r->nlines > 0 && code != r->lcode) ||
	    r->nlines == SMTP_REPLY_LINES_MAX) {
		r->state = SMTP_RS_BAD;
		return -1;
	}
	r->lcode = code;
	r->nlines++;
	text_add(r, line + (len > 3 ? 4 : 3), len > 3 ? len - 4 : 0);
	if (len > 3 && line[3] == '-')
		return 0;
	r->code = code;
	r->state = SMTP_RS_DONE;
	return 1;
}

/* The whole reply's deadline; none when timeout_ms < 0. */
struct deadline {
	int		none;
	struct timespec	end;
};

static void
deadline_start(struct deadline *d, int timeout_ms)
{
	d->none = timeout_ms < 0;
	if (d->none)
		return;
	clock_gettime(CLOCK_MONOTONIC, &d->end);
	d->end.tv_sec += timeout_ms / 1000;
	d->end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (d->end.tv_nsec >= 1000000000L) {
		d->end.tv_sec++;
		d->end.tv_nsec -= 1000000000L;
	}
}

/*
 * deadline_left - milliseconds left (rounded up, so a wait never ends
 * just before the deadline and spins), 0 once it has passed, -1 for
 * none.
 */
static int
deadline_left(const struct deadline *d)
{
	struct timespec now;
	long long ms;

	if (d->none)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->end.tv_sec - now.tv_sec) * 1000 +
	    (d->end.tv_nsec - now.tv_nsec + 999999L) / 1000000L;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * A buf with a transport (TLS) polls inside buf_fill, once per "want
 * read", each time for b->timeout: a peer sending a TLS record a byte
 * at a time would restart that wait with every byte.  So the transport
 * is wrapped for the time of one reply, and the wrapper sets
 * b->timeout to what is left of the deadline before each such wait.
 */
struct deadline_io {
	ssize_t			(*io)(void *, int, void *, size_t, int);
	void			*ctx;
	struct buf		*b;
	const struct deadline	*d;
};

/* deadline_io - the transport, with b->timeout kept to the deadline. */
static ssize_t
deadline_io(void *arg, int fd, void *p, size_t n, int writing)
{
	struct deadline_io *w = arg;
	ssize_t r;
	int ms;

	r = w->io(w->ctx, fd, p, n, writing);
	if (r == BUF_WANT_READ || r == BUF_WANT_WRITE) {
		if ((ms = deadline_left(w->d)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		w->b->timeout = ms;
	}
	return r;
}

/* fill_error - what a failed buf_fill means for the reply. */
static int
fill_error(void)
{
	switch (errno) {
	case ETIMEDOUT:
		return SMTP_R_TIMEOUT;
	case ECONNRESET:
	case ECONNABORTED:
	case ENOTCONN:
	case EPIPE:
		return SMTP_R_EOF;
	default:
		return SMTP_R_IOERR;
	}
}

/*
 * read_line - one line, LF included, into line (SMTP_REPLY_LINE_MAX
 * bytes), taken straight from b's storage so nothing is allocated and
 * a line over the limit is reported as soon as its bytes arrive, not
 * skipped to a newline that may never come.  Each read waits only for
 * what is left of the deadline.  0 or SMTP_R_*.
 */
static int
read_line(struct buf *b, char *line, size_t *lenp, const struct deadline *d)
{
	size_t len = 0, n;
	ssize_t r;
	char *nl;
	int ms;

	for (;;) {
		if (b->pos < b->len) {
			nl = memchr(b->p + b->pos, '\n', b->len - b->pos);
			n = nl != NULL ? (size_t)(nl - (b->p + b->pos)) + 1 :
			    b->len - b->pos;
			if (len + n > SMTP_REPLY_LINE_MAX)
				return SMTP_R_TOOLONG;
			memcpy(line + len, b->p + b->pos, n);
			len += n;
			b->pos += n;
			if (nl != NULL) {
				*lenp = len;
				return 0;
			}
		}
		if ((ms = deadline_left(d)) == 0)
			return SMTP_R_TIMEOUT;
		b->timeout = ms;
		if ((r = buf_fill(b)) == 0)
			return SMTP_R_EOF;
		if (r == -1)
			return fill_error();
	}
}

/*
 * smtp_reply_read - read one whole reply into r within timeout_ms:
 * its code, or SMTP_R_* (r then holds what was read, for the log).
 */
int
smtp_reply_read(struct buf *b, struct smtp_reply *r, int timeout_ms)
{
	char line[SMTP_REPLY_LINE_MAX];
	struct deadline d;
	struct deadline_io w;
	int rc, saved_timeout = b->timeout, saved_errno;
	size_t len;

	smtp_reply_init(r);
	deadline_start(&d, timeout_ms);
	w.io = b->io;
	w.ctx = b->ctx;
	w.b = b;
	w.d = &d;
	if (b->io != NULL)
		buf_transport(b, deadline_io, &w);
	for (;;) {
		if ((rc = read_line(b, line, &len, &d)) != 0)
			break;
		len--;				/* the LF */
		if (len > 0 && line[len - 1] == '\r')
			len--;
		rc = smtp_reply_feed(r, line, len);
		if (rc == 1) {
			rc = r->code;
			break;
		}
		if (rc == -1) {
			rc = SMTP_R_MALFORMED;
			break;
		}
	}
	saved_errno = errno;
	if (w.io != NULL)
		buf_transport(b, w.io, w.ctx);
	b->timeout = saved_timeout;
	errno = saved_errno;
	return rc;
}

const char *
smtp_reply_strerror(int rc)
{
	switch (rc) {
	case SMTP_R_TIMEOUT:
		return "timed out waiting for the reply";
	case SMTP_R_EOF:
		return "connection closed";
	case SMTP_R_TOOLONG:
		return "reply line too long";
	case SMTP_R_MALFORMED:
		return "malformed reply";
	case SMTP_R_IOERR:
		return "read error";
	default:
		return rc >= 200 && rc <= 599 ? "reply" : "unknown error";
	}
}

/* token - the next word of s[*i..n) (blanks between), 0 if none. */
static int
token(const char *s, size_t n, size_t *i, const char **tok, size_t *toklen)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
	if (*i == n)
		return 0;
	*tok = s + *i;
	while (*i < n && s[*i] != ' ' && s[*i] != '\t')
		(*i)++;
	*toklen = (size_t)(s + *i - *tok);
	return 1;
}

static int
word_is(const char *tok, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(tok, word, len) == 0;
}

/*
 * size_param - RFC 1870's value: 1 to 20 digits; 0 (no limit given)
 * when absent or not a number, which leaves the server to refuse at
 * MAIL or DATA rather than us on a value we cannot read.
 */
static unsigned long long
size_param(const char *s, size_t n)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v;
}

/* auth_mech - note one AUTH mechanism we can use. */
static void
auth_mech(struct smtp_ext *e, const char *tok, size_t len)
{
	if (word_is(tok, len, "PLAIN"))
		e->auth_plain = 1;
	else if (word_is(tok, len, "LOGIN"))
		e->auth_login = 1;
}

/*
 * ehlo_line - one line of an EHLO reply after the first: a keyword and
 * its parameters.  "AUTH=PLAIN LOGIN" is the form servers sent before
 * RFC 2554 was final; some still do.
 */
static void
ehlo_line(struct smtp_ext *e, const char *s, size_t n)
{
	const char *kw, *tok;
	size_t i = 0, kwlen, toklen;

	if (!token(s, n, &i, &kw, &kwlen))
		return;
	if (word_is(kw, kwlen, "PIPELINING"))
		e->pipelining = 1;
	else if (word_is(kw, kwlen, "STARTTLS"))
		e->starttls = 1;
	else if (word_is(kw, kwlen, "8BITMIME"))
		e->eightbitmime = 1;
	else if (word_is(kw, kwlen, "SMTPUTF8"))
		e->smtputf8 = 1;
	else if (word_is(kw, kwlen, "ENHANCEDSTATUSCODES"))
		e->enhancedstatuscodes = 1;
	else if (word_is(kw, kwlen, "CHUNKING"))
		e->chunking = 1;
	else if (word_is(kw, kwlen, "DSN"))
		e->dsn = 1;
	else if (word_is(kw, kwlen, "SIZE")) {
		e->has_size = 1;
		e->size = token(s, n, &i, &tok, &toklen) &&
		    !token(s, n, &i, &kw, &kwlen) ? size_param(tok, toklen) : 0;
	} else if (word_is(kw, kwlen, "AUTH") || (kwlen > 5 &&
	    strncasecmp(kw, "AUTH=", 5) == 0)) {
		if (kwlen > 5)
			auth_mech(e, kw + 5, kwlen - 5);
		while (token(s, n, &i, &tok, &toklen))
			auth_mech(e, tok, toklen);
	}
}

/*
 * smtp_ehlo_parse - what a complete 2xx EHLO reply offers; all zero
 * otherwise.  A last line cut short by SMTP_REPLY_TEXT_MAX is ignored:
 * "SIZE 10000000" cut to "SIZE 10" must not become a limit.
 */
void
smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ext *e)
{
	const char *p, *end, *nl;

	memset(e, 0, sizeof(*e));
	if (r->state != SMTP_RS_DONE || r->code / 100 != 2)
		return;
	p = r->text;
	end = r->text + r->textlen;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return;
	for (p = nl + 1; p <= end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			if (!r->truncated)
				ehlo_line(e, p, (size_t)(end - p));
			break;
		}
		ehlo_line(e, p, (size_t)(nl - p));
	}
}

/*
 * smtp_reply_oneline - the reply as one line for logs and result text:
 * the code, then the lines' text joined by " / ", tabs made spaces;
 * cut to size - 1 bytes and NUL-terminated.  An unfinished or
 * malformed reply shows the code its lines carried, if any.
 */
void
smtp_reply_oneline(const struct smtp_reply *r, char *out, size_t size)
{
	size_t o = 0, i;
	int code = r->code != 0 ? r->code : r->lcode;
	const char *add;
	char c;
	char num[8];

	if (size == 0)
		return;
	if (code >= 200 && code <= 599) {
		snprintf(num, sizeof(num), "%03d", code);
		for (add = num; *add != '\0' && o < size - 1; add++)
			out[o++] = *add;
		if (r->textlen > 0 && o < size - 1)
			out[o++] = ' ';
	}
	for (i = 0; i < r->textlen && o < size - 1; i++) {
		c = r->text[i];
		if (c == '\n') {
			for (add = " / "; *add != '\0' && o < size - 1; add++)
				out[o++] = *add;
			continue;
		}
		out[o++] = c == '\t' ? ' ' : c;
	}
	out[o] = '\0';
}

/*
 * smtp_reply_dsn - the enhanced status code that leads the reply's
 * text, if it has the reply's class; else the class's default.
 */
void
smtp_reply_dsn(const struct smtp_reply *r, char *out, size_t size)
{
	size_t n = strspn(r->text, "0123456789.");

	if (n >= 5 && n < size && r->text[0] == '0' + r->code / 100 &&
	    r->text[1] == '.' && (r->text[n] == ' ' || r->text[n] == '\0' ||
	    r->text[n] == '\n')) {
		memcpy(out, r->text, n);
		out[n] = '\0';
	} else
		(void)snprintf(out, size, "%d.0.0", r->code / 100);
}
