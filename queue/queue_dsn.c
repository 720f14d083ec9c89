/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * queue_dsn - compose a delivery status notification (RFC 3464, RFC
 * 6522 multipart/report, RFC 6533 for internationalized mail) about
 * one queued message.  See queue_dsn.h and qpost-queue(5).
 *
 * What goes into the notice comes from the queue: addresses from the
 * envelope, reasons from the spawners (a remote server's words among
 * them).  So every such byte is made safe here: control bytes become
 * spaces, and outside internationalized mail every byte above 127
 * becomes '?'; long lines are folded.  The MIME boundary is random and
 * then checked against every byte it encloses, the original message
 * included, so it cannot occur in the content.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "dsnparam.h"
#include "queue_dsn.h"
#include "sa.h"

#define FOLD_AT		76	/* fold a longer line at a space */
#define LINE_HARD	900	/* and one without a space here */
#define BOUNDARY_TRIES	16
#define CHUNK		65536

struct compose {
	const struct dsn_params	*p;
	int			 global;	/* RFC 6533 types */
	int			 any_failed;	/* else only successes told */
	int			 any_told;	/* a success is told */
	int			 whole;		/* the original goes whole */
	off_t			 incl;		/* bytes of it that go */
	int			 orig8bit;
	struct sa		 human, report;
	char			 boundary[64];
};

/* ---- what a result text says --------------------------------------- */

/* is_status - s starts with an x.y.z status code of class 2, 4 or 5. */
static size_t
is_status(const char *s)
{
	size_t i = 2, n;

	if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++)
		if (++n > 3)
			return 0;
	if (n == 0 || s[i++] != '.')
		return 0;
	for (n = 0; s[i] >= '0' && s[i] <= '9'; i++)
		if (++n > 3)
			return 0;
	return n > 0 && (s[i] == ' ' || s[i] == '\0') ? i : 0;
}

/* host_char - a byte that may appear in a host name or an address. */
static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
	    c == '_';
}

/*
 * remote_of - the remote sender's "host[ip] said: 550 ... (in reply to
 * CMD)" form anywhere in text (after a prefix such as the expiry's):
 * the host, and the reply without the command it answered.
 */
static void
remote_of(const char *text, struct dsn_result *r)
{
	const char *said = strstr(text, " said: "), *tok, *lb, *p, *end;
	size_t n;

	if (said == NULL || said == text || said[-1] != ']')
		return;
	for (tok = said; tok > text && tok[-1] != ' '; tok--)
		;
	for (lb = said - 1; lb > tok && *lb != '['; lb--)
		;
	if (lb == tok || (size_t)(lb - tok) >= sizeof(r->remote))
		return;
	for (p = tok; p < said - 1; p++)
		if (p != lb && !host_char(*p))
			return;
	p = said + strlen(" said: ");
	if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '\0'))
		return;
	n = (size_t)(lb - tok);
	memcpy(r->remote, tok, n);
	r->remote[n] = '\0';
	end = p + strlen(p);
	/* the command is ours, not the server's: the last one goes */
	for (tok = end; tok > p; tok--)
		if (strncmp(tok, " (in reply to ", 14) == 0)
			break;
	if (tok > p && end[-1] == ')')
		end = tok;
	r->diag = p;
	r->diaglen = (size_t)(end - p);
}

/* class_fits - a status of class c may report this action */
static int
class_fits(char c, char action)
{
	if (action == DSN_DELAYED)
		return c == '4';
	if (action == DSN_SUCCESS)
		return c == '2';
	return c != '2';
}

/*
 * dsn_parse_result - the status code the text starts with (else
 * 5.0.0, 4.0.0 for a delay, 2.0.0 for a success: a code of the wrong
 * class is not believed), and the remote server's name and reply when
 * the text is the remote sender's account of one.
 */
void
dsn_parse_result(const char *text, char action, struct dsn_result *r)
{
	size_t n;

	memset(r, 0, sizeof(*r));
	if (text == NULL)
		text = "";
	n = is_status(text);
	if (n > 0 && n < sizeof(r->status) && class_fits(text[0], action)) {
		memcpy(r->status, text, n);
		r->status[n] = '\0';
	} else
		strlcpy(r->status, action == DSN_DELAYED ? "4.0.0" :
		    action == DSN_SUCCESS ? "2.0.0" : "5.0.0",
		    sizeof(r->status));
	remote_of(text, r);
}

/* ---- safe text ----------------------------------------------------- */

/* cat_safe - n bytes of s: control bytes as spaces, 8-bit as '?'
 * unless the notice is internationalized. */
static int
cat_safe(struct sa *out, const char *s, size_t n, int global)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c > 127 && !global)
			c = '?';
		if (sa_catc(out, (char)c) == -1)
			return -1;
	}
	return 0;
}

/*
 * fold - one logical line s (made safe) into out, ended by a newline.
 * A line longer than width is broken at its last space past min: in a
 * header field (indent NULL) the break comes before the space, which
 * starts the next line (RFC 5322 folding: unfolding restores it); in
 * text the spaces give way to a newline and the indent.  A run without
 * spaces is broken at LINE_HARD, so no line nears the limit of 998.
 */
static int
fold(struct sa *out, const char *s, size_t n, size_t min, const char *indent,
    size_t width)
{
	size_t start = 0, sp = 0, end, i;
	const char *cont = indent != NULL ? indent : " ";

	for (i = 0; i < n; i++) {
		if (i < start)
			continue;	/* spaces skipped at a break */
		if (s[i] == ' ' && i > start + min)
			sp = i;
		if (i - start >= width && sp > start) {
			end = sp;
			if (indent != NULL)
				while (end > start && s[end - 1] == ' ')
					end--;
			if (sa_catb(out, s + start, end - start) == -1 ||
			    sa_catc(out, '\n') == -1)
				return -1;
			if (indent != NULL) {
				if (sa_cats(out, indent) == -1)
					return -1;
				while (sp < n && s[sp] == ' ')
					sp++;
			}
			start = sp;
			sp = 0;
			min = 1;
		} else if (i - start >= LINE_HARD) {
			if (sa_catb(out, s + start, i - start) == -1 ||
			    sa_catc(out, '\n') == -1 ||
			    sa_cats(out, cont) == -1)
				return -1;
			start = i;
			sp = 0;
			min = 1;
		}
	}
	if (start < n && sa_catb(out, s + start, n - start) == -1)
		return -1;
	return sa_catc(out, '\n');
}

/* field - "Name: value" into out, made safe and folded. */
static int
field(struct sa *out, int global, const char *name, const char *value,
    size_t vlen)
{
	struct sa line = SA_INIT;
	int r;

	r = sa_cats(&line, name) == -1 || sa_cats(&line, ": ") == -1 ||
	    cat_safe(&line, value, vlen, global) == -1 ? -1 :
	    fold(out, line.s, line.len, strlen(name) + 2, NULL, FOLD_AT);
	sa_free(&line);
	return r;
}

static int
fields(struct sa *out, int global, const char *name, const char *value)
{
	return field(out, global, name, value, strlen(value));
}

/*
 * text - a paragraph (made safe) after an indent: prose wrapped at
 * FOLD_AT, or (width LINE_HARD) a reason kept on one line as it was
 * given, so it can be read and searched whole.
 */
static int
text(struct sa *out, int global, const char *indent, const char *s,
    size_t width)
{
	struct sa line = SA_INIT;
	int r;

	r = sa_cats(&line, indent) == -1 ||
	    cat_safe(&line, s, strlen(s), global) == -1 ? -1 :
	    fold(out, line.s, line.len, strlen(indent), indent, width);
	sa_free(&line);
	return r;
}

/* date - the date-time of RFC 5322 3.3, local time. */
static void
date(char *dst, size_t size, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(dst, size, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		dst[0] = '\0';
}

/* ---- the recipients reported on ------------------------------------ */

/* wants - whether r's NOTIFY asks for this (none given: failure, delay) */
static int
wants(const struct qrcpt *r, unsigned what)
{
	return r->notify == 0 ? what != DSN_NOTIFY_SUCCESS :
	    (r->notify & what) != 0;
}

/*
 * dsn_reported - whether a notice of this action reports r: a delay
 * notice the pending recipients whose NOTIFY lets it, a bounce the
 * failed ones whose NOTIFY lets it and those whose success is due to
 * be told (qenv_tell_due).
 */
int
dsn_reported(char action, const struct qrcpt *r)
{
	if (action == DSN_DELAYED)
		return r->state == RCPT_PENDING &&
		    wants(r, DSN_NOTIFY_DELAY);
	return (r->state == RCPT_FAILED && wants(r, DSN_NOTIFY_FAILURE)) ||
	    qenv_tell_due(r);
}

/* any_failed - whether the notice reports a failure, not only successes */
static int
any_failed(const struct dsn_params *p)
{
	size_t i;

	for (i = 0; i < p->e->nrcpt; i++)
		if (dsn_reported(p->action, &p->e->rcpt[i]) &&
		    !qenv_tell_due(&p->e->rcpt[i]))
			return 1;
	return 0;
}

/*
 * dsn_is_global - whether the notice must use the RFC 6533 types: the
 * message needs SMTPUTF8, or an address in the notice is not ASCII.
 */
int
dsn_is_global(const struct dsn_params *p)
{
	size_t i;

	if (p->e->is_utf8 || !addr_is_ascii(p->to) ||
	    !addr_is_ascii(p->e->sender))
		return 1;
	for (i = 0; i < p->e->nrcpt; i++)
		if (dsn_reported(p->action, &p->e->rcpt[i]) &&
		    !addr_is_ascii(p->e->rcpt[i].addr))
			return 1;
	return 0;
}

/* action_word - RFC 3464's Action for r in this notice */
static const char *
action_word(const struct dsn_params *p, const struct qrcpt *r)
{
	if (p->action == DSN_DELAYED)
		return "delayed";
	switch (r->state) {
	case RCPT_TELL_DELIVERED:
		return "delivered";
	case RCPT_TELL_RELAYED:
		return "relayed";
	case RCPT_TELL_EXPANDED:
		return "expanded";
	}
	return "failed";
}

/* ---- the part for people ------------------------------------------- */

/* span - a duration in words, in its largest fitting unit. */
static void
span(char *dst, size_t size, long long secs)
{
	if (secs >= 2 * 86400)
		snprintf(dst, size, "%lld days", secs / 86400);
	else if (secs >= 2 * 3600)
		snprintf(dst, size, "%lld hours", secs / 3600);
	else if (secs >= 120)
		snprintf(dst, size, "%lld minutes", secs / 60);
	else
		snprintf(dst, size, "%lld seconds", secs < 0 ? 0 : secs);
}

/* intro - what the notice is about, in words, into t. */
static int
intro(const struct compose *c, struct sa *t)
{
	const struct dsn_params *p = c->p;
	char when[64], how_long[64];

	date(when, sizeof(when), p->retry_until);
	span(how_long, sizeof(how_long), (long long)(p->now - p->e->arrival));
	if (p->is_double)
		return sa_catf(t, "A bounce I sent could not be delivered to "
		    "its recipient, the sender of the original message.  The "
		    "reason is below; the bounce, which holds the original "
		    "message or its header, follows.  Message id: %s.",
		    p->e->id);
	if (!c->any_failed && p->action != DSN_DELAYED)
		return sa_catf(t, "As you asked, this reports what became of "
		    "your message for the recipients below: it reached them, "
		    "or a server or list that took it on.  A report for "
		    "programs and your message's header follow.  Message "
		    "id: %s.", p->e->id);
	if (p->action == DSN_DELAYED)
		return sa_catf(t, "This is a warning only: you need not send "
		    "your message again.  After %s in my queue it has not yet "
		    "been delivered to the recipients below.  I will keep "
		    "trying until %s, and write again only if I have to give "
		    "up.  Message id: %s.", how_long, when, p->e->id);
	return sa_catf(t, "I am sorry: your message could not be delivered "
	    "to the recipients below.  This is a permanent error; I have "
	    "given up.  The reasons follow, then a report for programs and "
	    "your message (or its header).%s  Message id: %s.",
	    c->any_told ? "  As you asked, it also says which recipients "
	    "your message did reach (marked delivered, relayed or "
	    "expanded)." : "", p->e->id);
}

/* human - the part for people: who was not reached, and why. */
static int
human(struct compose *c)
{
	const struct dsn_params *p = c->p;
	struct sa *h = &c->human, t = SA_INIT;
	const struct qrcpt *rc;
	size_t i;
	int r;

	r = sa_catf(&t, "This is the mail system at %s.", p->me) == -1 ||
	    sa_0(&t) == -1 || text(h, c->global, "", t.s, FOLD_AT) == -1 ||
	    sa_catc(h, '\n') == -1 ? -1 : 0;
	t.len = 0;
	if (r == 0)
		r = intro(c, &t) == -1 || sa_0(&t) == -1 ||
		    text(h, c->global, "", t.s, FOLD_AT) == -1 ? -1 : 0;
	for (i = 0; r == 0 && i < p->e->nrcpt; i++) {
		rc = &p->e->rcpt[i];
		if (!dsn_reported(p->action, rc))
			continue;
		t.len = 0;
		r = sa_catf(&t, "<%s>:%s%s", rc->addr, qenv_tell_due(rc) ?
		    " " : "", qenv_tell_due(rc) ? action_word(p, rc) : "") ==
		    -1 || sa_0(&t) == -1 ||
		    sa_catc(h, '\n') == -1 ||
		    text(h, c->global, "", t.s, LINE_HARD) == -1 ||
		    text(h, c->global, "    ", rc->error != NULL &&
		    rc->error[0] != '\0' ? rc->error :
		    "no attempt has ended yet", LINE_HARD) == -1 ? -1 : 0;
	}
	sa_free(&t);
	return r;
}

/* ---- the part for programs ----------------------------------------- */

/*
 * decoded_field - "Name: " prefix (n bytes of it) and the xtext after
 * it decoded: ORCPT's type and address, ENVID.
 */
static int
decoded_field(struct compose *c, const char *name, const char *prefix,
    size_t n, const char *xtext)
{
	struct sa v = SA_INIT, dec = SA_INIT;
	int r;

	r = sa_catb(&v, prefix, n) == -1 ||
	    dsn_xtext_decode(xtext, strlen(xtext), &dec) == -1 ||
	    sa_catb(&v, dec.s, dec.len) == -1 ||
	    field(&c->report, c->global, name, v.s, v.len) == -1 ? -1 : 0;
	sa_free(&v);
	sa_free(&dec);
	return r;
}

/* original_rcpt - Original-Recipient, when the client gave ORCPT */
static int
original_rcpt(struct compose *c, const struct qrcpt *rc)
{
	const char *semi;

	if (rc->orcpt == NULL || (semi = strchr(rc->orcpt, ';')) == NULL)
		return 0;
	return decoded_field(c, "Original-Recipient", rc->orcpt,
	    (size_t)(semi - rc->orcpt) + 1, semi + 1);
}

static int
report_rcpt(struct compose *c, const struct qrcpt *rc)
{
	const struct dsn_params *p = c->p;
	struct dsn_result res;
	struct sa v = SA_INIT;
	char when[64];
	int r;

	dsn_parse_result(rc->error, qenv_tell_due(rc) ? DSN_SUCCESS :
	    p->action, &res);
	r = sa_catf(&v, "%s; %s", !addr_is_ascii(rc->addr) ? "utf-8" : "rfc822",
	    rc->addr) == -1 || sa_catc(&c->report, '\n') == -1 ||
	    original_rcpt(c, rc) == -1 ||
	    field(&c->report, c->global, "Final-Recipient", v.s, v.len) ==
	    -1 || fields(&c->report, c->global, "Action",
	    action_word(p, rc)) == -1 ||
	    fields(&c->report, c->global, "Status", res.status) == -1 ? -1 : 0;
	if (r == 0 && res.remote[0] != '\0') {
		v.len = 0;
		/* an address literal is written as one */
		r = sa_catf(&v, strspn(res.remote, "0123456789.") ==
		    strlen(res.remote) || strchr(res.remote, ':') != NULL ?
		    "dns; [%s]" : "dns; %s", res.remote) == -1 ||
		    field(&c->report, c->global, "Remote-MTA", v.s, v.len) ==
		    -1 ? -1 : 0;
	}
	if (r == 0 && (res.diag != NULL || (rc->error != NULL &&
	    rc->error[0] != '\0'))) {
		v.len = 0;
		if (res.diag != NULL)
			r = sa_cats(&v, "smtp; ") == -1 ||
			    sa_catb(&v, res.diag, res.diaglen) == -1 ? -1 : 0;
		else
			r = sa_catf(&v, "X-Qpost; %s", rc->error);
		r = r == 0 ? field(&c->report, c->global, "Diagnostic-Code",
		    v.s, v.len) : -1;
	}
	if (r == 0 && rc->last != 0) {
		date(when, sizeof(when), rc->last);
		r = fields(&c->report, c->global, "Last-Attempt-Date", when);
	}
	if (r == 0 && p->action == DSN_DELAYED) {
		date(when, sizeof(when), p->retry_until);
		r = fields(&c->report, c->global, "Will-Retry-Until", when);
	}
	sa_free(&v);
	return r;
}

static int
report(struct compose *c)
{
	const struct dsn_params *p = c->p;
	char when[64];
	struct sa v = SA_INIT;
	size_t i;
	int r;

	date(when, sizeof(when), p->e->arrival);
	r = (p->e->dsn.envid[0] != '\0' && decoded_field(c,
	    "Original-Envelope-Id", "", 0, p->e->dsn.envid) == -1) ||
	    sa_catf(&v, "dns; %s", p->me) == -1 ||
	    field(&c->report, c->global, "Reporting-MTA", v.s, v.len) == -1 ||
	    fields(&c->report, c->global, "X-Qpost-Queue-ID", p->e->id) ==
	    -1 || fields(&c->report, c->global, "Arrival-Date", when) == -1 ?
	    -1 : 0;
	for (i = 0; r == 0 && i < p->e->nrcpt; i++)
		if (dsn_reported(p->action, &p->e->rcpt[i]))
			r = report_rcpt(c, &p->e->rcpt[i]);
	sa_free(&v);
	return r;
}

/* ---- the original -------------------------------------------------- */

/*
 * dsn_fd_contains - whether needle occurs in the first len bytes of
 * fd (read with pread, so no offset is shared); *eightbit is set when
 * a byte above 127 is seen.  1 found, 0 not, -1 read error.
 */
int
dsn_fd_contains(int fd, off_t len, const char *needle, int *eightbit)
{
	size_t nl = strlen(needle), keep = 0, i;
	char *b;
	off_t at = 0;
	ssize_t n;
	int found = 0;

	if (nl == 0 || nl > 1024 || (b = malloc(CHUNK + nl)) == NULL)
		return -1;
	while (at < len) {
		n = pread(fd, b + keep, len - at < CHUNK ? (size_t)(len - at) :
		    CHUNK, at);
		if (n <= 0) {
			free(b);
			return -1;
		}
		for (i = keep; eightbit != NULL && i < keep + (size_t)n; i++)
			if ((unsigned char)b[i] > 127)
				*eightbit = 1;
		if (!found && memmem(b, keep + (size_t)n, needle, nl) != NULL)
			found = 1;
		at += n;
		/* a match may straddle chunks: keep the tail */
		i = keep + (size_t)n;
		keep = i < nl - 1 ? i : nl - 1;
		memmove(b, b + i - keep, keep);
	}
	free(b);
	return found;
}

/*
 * dsn_header_len - the bytes of the message's header: every line up to
 * the blank one (LF or CRLF), at most DSN_HEADER_MAX and then only
 * whole lines.  -1 on a read error.
 */
off_t
dsn_header_len(int fd, off_t size)
{
	size_t cap = size < (off_t)DSN_HEADER_MAX ? (size_t)size :
	    DSN_HEADER_MAX, i, last_nl = 0;
	int line_start = 1;
	char *b;

	if ((b = malloc(cap + 1)) == NULL)
		return -1;
	if (cap > 0 && pread(fd, b, cap, 0) != (ssize_t)cap) {
		free(b);
		return -1;
	}
	for (i = 0; i < cap; i++) {
		if (line_start && (b[i] == '\n' ||
		    (b[i] == '\r' && i + 1 < cap && b[i + 1] == '\n'))) {
			free(b);
			return (off_t)i;
		}
		line_start = b[i] == '\n';
		if (line_start)
			last_nl = i + 1;
	}
	free(b);
	return cap < (size_t)size && last_nl > 0 ? (off_t)last_nl : (off_t)cap;
}

static int
copy_original(const struct compose *c, struct buf *out)
{
	char *b;
	off_t at = 0;
	ssize_t n;
	int r = 0;

	if ((b = malloc(CHUNK)) == NULL)
		return -1;
	while (r == 0 && at < c->incl) {
		n = pread(c->p->mess_fd, b, c->incl - at < CHUNK ?
		    (size_t)(c->incl - at) : CHUNK, at);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			r = -1;
		} else {
			r = buf_put(out, b, (size_t)n);
			at += n;
		}
	}
	free(b);
	return r;
}

/* ---- the whole ----------------------------------------------------- */

/*
 * pick_boundary - a random boundary that occurs in none of the parts.
 * Nobody can aim at a random one, so the first nearly always does.
 */
static int
pick_boundary(struct compose *c)
{
	unsigned k;
	int r;

	for (k = 0; k < BOUNDARY_TRIES; k++) {
		snprintf(c->boundary, sizeof(c->boundary),
		    "=_qpost_%08x%08x%08x", arc4random(), arc4random(),
		    arc4random());
		if (memmem(c->human.s, c->human.len, c->boundary,
		    strlen(c->boundary)) != NULL ||
		    memmem(c->report.s, c->report.len, c->boundary,
		    strlen(c->boundary)) != NULL)
			continue;
		c->orig8bit = 0;
		r = dsn_fd_contains(c->p->mess_fd, c->incl, c->boundary,
		    &c->orig8bit);
		if (r == -1)
			return -1;
		if (r == 0)
			return 0;
	}
	errno = EAGAIN;
	return -1;
}

static const char *
subject(const struct compose *c)
{
	const struct dsn_params *p = c->p;

	if (p->is_double)
		return "Undelivered bounce: a failure notice could not be "
		    "delivered";
	if (p->action == DSN_DELAYED)
		return "Delayed mail: still trying (warning only)";
	if (!c->any_failed)
		return "Delivery report: your message was delivered";
	return "Undelivered mail: failure notice";
}

/* top - the notice's own header, and the preamble. */
static int
top(struct compose *c, struct sa *h, int any8bit)
{
	const struct dsn_params *p = c->p;
	char when[64];
	struct sa v = SA_INIT;
	int r;

	date(when, sizeof(when), p->now);
	r = sa_catf(&v, "Mail Delivery System <MAILER-DAEMON@%s>", p->me) ==
	    -1 || field(h, c->global, "From", v.s, v.len) == -1 ? -1 : 0;
	v.len = 0;
	r = r == 0 ? sa_catf(&v, "<%s>", p->to) : -1;
	r = r == 0 ? field(h, c->global, "To", v.s, v.len) : -1;
	r = r == 0 ? fields(h, c->global, "Subject", subject(c)) : -1;
	r = r == 0 ? fields(h, c->global, "Date", when) : -1;
	v.len = 0;
	r = r == 0 ? sa_catf(&v, "<%s.%s@%s>", p->id, p->e->id, p->me) : -1;
	r = r == 0 ? field(h, c->global, "Message-ID", v.s, v.len) : -1;
	r = r == 0 ? fields(h, c->global, "Auto-Submitted", "auto-replied") :
	    -1;
	r = r == 0 ? fields(h, c->global, "MIME-Version", "1.0") : -1;
	if (r == 0)
		r = sa_catf(h, "Content-Type: multipart/report; "
		    "report-type=%s;\n\tboundary=\"%s\"\n",
		    c->global ? "global-delivery-status" : "delivery-status",
		    c->boundary);
	if (r == 0 && any8bit)
		r = sa_cats(h, "Content-Transfer-Encoding: 8bit\n");
	if (r == 0)
		r = sa_catf(h, "\nThis is a MIME-formatted delivery status "
		    "notification (RFC 3464).\n");
	sa_free(&v);
	return r;
}

/* parts - the part headers and the two parts built in memory. */
static int
parts(struct compose *c, struct sa *h, int h8, int r8)
{
	const char *orig_type;

	if (sa_catf(h, "\n--%s\nContent-Type: text/plain; charset=%s\n"
	    "Content-Description: Notification\n%s\n", c->boundary,
	    c->global ? "utf-8" : "us-ascii",
	    h8 ? "Content-Transfer-Encoding: 8bit\n" : "") == -1 ||
	    sa_catb(h, c->human.s, c->human.len) == -1)
		return -1;
	if (sa_catf(h, "\n--%s\nContent-Type: message/%s\n"
	    "Content-Description: Delivery report\n%s\n", c->boundary,
	    c->global ? "global-delivery-status" : "delivery-status",
	    r8 ? "Content-Transfer-Encoding: 8bit\n" : "") == -1 ||
	    sa_catb(h, c->report.s, c->report.len) == -1)
		return -1;
	if (c->whole)
		orig_type = c->global ? "message/global" : "message/rfc822";
	else
		orig_type = c->global ? "message/global-headers" :
		    "text/rfc822-headers";
	return sa_catf(h, "\n--%s\nContent-Type: %s\n"
	    "Content-Description: %s\n%s\n", c->boundary, orig_type,
	    c->p->is_double ? (c->whole ? "Undelivered bounce" :
	    "Header of the undelivered bounce") :
	    c->whole ? "The message" : "The message header",
	    c->orig8bit ? "Content-Transfer-Encoding: 8bit\n" : "");
}

static int
has8bit_sa(const struct sa *s)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		if ((unsigned char)s->s[i] > 127)
			return 1;
	return 0;
}

/*
 * dsn_write - the whole notice into out.  Returns 0, or -1 with errno
 * set (out of memory, the message file unreadable).
 */
int
dsn_write(const struct dsn_params *p, struct buf *out)
{
	struct compose c;
	struct stat st;
	struct sa h = SA_INIT;
	int r = -1, h8, r8;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.global = dsn_is_global(p);
	if (fstat(p->mess_fd, &st) == -1)
		return -1;
	c.any_failed = any_failed(p);
	for (size_t i = 0; i < p->e->nrcpt; i++)
		c.any_told |= qenv_tell_due(&p->e->rcpt[i]);
	/* a success is told with the header only, as is RET=HDRS' wish */
	c.whole = st.st_size <= p->maxbytes && p->e->dsn.ret != DSN_RET_HDRS &&
	    (c.any_failed || p->action == DSN_DELAYED);
	c.incl = c.whole ? st.st_size : dsn_header_len(p->mess_fd, st.st_size);
	if (c.incl == -1 || human(&c) == -1 || report(&c) == -1 ||
	    pick_boundary(&c) == -1)
		goto done;
	h8 = has8bit_sa(&c.human);
	r8 = has8bit_sa(&c.report);
	if (top(&c, &h, h8 || r8 || c.orig8bit) == -1 ||
	    parts(&c, &h, h8, r8) == -1 || buf_put(out, h.s, h.len) == -1 ||
	    copy_original(&c, out) == -1)
		goto done;
	h.len = 0;
	/* the newline before a delimiter belongs to it, not to the part */
	if (sa_catf(&h, "\n--%s--\n", c.boundary) == -1 ||
	    buf_put(out, h.s, h.len) == -1)
		goto done;
	r = 0;
done:
	sa_free(&h);
	sa_free(&c.human);
	sa_free(&c.report);
	return r;
}
