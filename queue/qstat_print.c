/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qstat_print - qstat's output formats, documented in qstat(8): the
 * text listing, the JSON document, the summary by domain and mailq's
 * listing.  Scripts and golden files read them, so each is stable:
 * fields in a fixed order, times relative to q->now.
 *
 * Addresses and error texts come from the network and from local
 * users: any byte but NUL, CR and LF.  None reaches the output raw.
 * In text, a byte that could end a field, fake a line or drive a
 * terminal (controls, C1 controls and Unicode's invisible direction
 * marks in UTF-8, malformed UTF-8, and in addresses also space, '<'
 * and '>') is written \xHH, '"' and '\' are written \" and \\; well-
 * formed printable UTF-8 is kept so that people can read it.  JSON is
 * all ASCII: everything else is written \uXXXX, malformed UTF-8 as
 * \ufffd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qstat.h"
#include "sa.h"

#define ESC_ADDR	0	/* inside <...>: no space, '<' or '>' */
#define ESC_QUOTED	1	/* inside "..." */

/*
 * utf8 - the length of the well-formed UTF-8 sequence at s (n bytes
 * there), its code point in *cp; 0 if it is not one (overlong forms,
 * surrogates and code points past U+10FFFF are not).
 */
static size_t
utf8(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c, min;

	if (s[0] < 0x80)
		return (*cp = s[0], 1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* invisible - a code point that a terminal or a reader mistakes. */
static int
invisible(unsigned long c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x200e || c == 0x200f ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0xfeff;
}

/* put_text - s, escaped for the text formats (see the top). */
static int
put_text(struct sa *o, const char *str, int mode)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, len;
	unsigned long c;
	int r = 0;

	while (r == 0 && i < n) {
		len = utf8(s + i, n - i, &c);
		if (len > 1 && !invisible(c)) {
			r = sa_catb(o, s + i, len);
			i += len;
			continue;
		}
		c = s[i++];
		if (c == '"' || c == '\\')
			r = sa_catf(o, "\\%c", (int)c);
		else if (c < 0x20 || c >= 0x7f || (mode == ESC_ADDR &&
		    (c == ' ' || c == '<' || c == '>')))
			r = sa_catf(o, "\\x%02x", (unsigned)c);
		else
			r = sa_catc(o, (char)c);
	}
	return r;
}

/* put_json - s as a JSON string, quotes included, all ASCII. */
static int
put_json(struct sa *o, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, len;
	unsigned long c;
	int r = sa_catc(o, '"');

	while (r == 0 && i < n) {
		if ((len = utf8(s + i, n - i, &c)) == 0) {
			c = 0xfffd;	/* a byte that is not UTF-8 */
			len = 1;
		}
		i += len;
		if (c == '"' || c == '\\')
			r = sa_catf(o, "\\%c", (int)c);
		else if (c >= 0x20 && c < 0x7f)
			r = sa_catc(o, (char)c);
		else if (c < 0x10000)
			r = sa_catf(o, "\\u%04lx", c);
		else
			r = sa_catf(o, "\\u%04lx\\u%04lx",
			    0xd800 + ((c - 0x10000) >> 10),
			    0xdc00 + ((c - 0x10000) & 0x3ff));
	}
	return r == 0 ? sa_catc(o, '"') : r;
}

/* dur - seconds as "1d2h3m4s", zero parts left out; "0s" for none. */
static void
dur(char *dst, size_t size, long long t)
{
	static const struct {
		long long	 secs;
		char		 unit;
	} u[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, n = 0;

	dst[0] = '\0';
	if (t <= 0) {
		snprintf(dst, size, "0s");
		return;
	}
	for (i = 0; i < sizeof(u) / sizeof(u[0]) && n < size; i++)
		if (t >= u[i].secs) {
			n += (size_t)snprintf(dst + n, size - n, "%lld%c",
			    t / u[i].secs, u[i].unit);
			t %= u[i].secs;
		}
}

static const char *
state_name(char state)
{
	switch (state) {
	case RCPT_PENDING:
		return "pending";
	case RCPT_DELIVERED:
		return "delivered";
	case RCPT_FAILED:
		return "failed";
	case RCPT_BOUNCED:
		return "bounced";
	case RCPT_TELL_DELIVERED:
	case RCPT_TELL_RELAYED:
	case RCPT_TELL_EXPANDED:
		return "delivered-notice-due";
	}
	return "unknown";
}

/* shown_error - the text worth showing as the last error, or NULL. */
static const char *
shown_error(const struct qrcpt *r)
{
	if (r->state == RCPT_DELIVERED || qenv_tell_due(r) || r->error == NULL ||
	    r->error[0] == '\0')
		return NULL;
	return r->error;
}

/* undelivered - a recipient still to deliver or to bounce. */
static int
undelivered(const struct qrcpt *r)
{
	return r->state == RCPT_PENDING || r->state == RCPT_FAILED;
}

static long long
age(const struct qstat *q, const struct qenv *e)
{
	return q->now > e->arrival ? (long long)(q->now - e->arrival) : 0;
}

/* flush_sa - hand what o holds to the output. */
static int
flush_sa(struct sa *o, struct buf *out)
{
	int r = buf_put(out, o->s, o->len);

	o->len = 0;
	return r;
}

/* ---- text ---------------------------------------------------------- */

static int
text_rcpt(struct sa *o, const struct qstat *q, const struct qenv *e,
    const struct qrcpt *r)
{
	char d[64];
	const char *err = shown_error(r);

	if (sa_cats(o, "  to=<") == -1 || put_text(o, r->addr, ESC_ADDR) ||
	    sa_catf(o, "> state=%s tries=%u", state_name(r->state),
	    r->tries) == -1)
		return -1;
	if (r->state == RCPT_PENDING) {
		dur(d, sizeof(d), (long long)(r->next - q->now));
		if (sa_catf(o, " next=%s%s", e->held ? "held" :
		    r->next <= q->now ? "now" : "+", e->held ||
		    r->next <= q->now ? "" : d) == -1)
			return -1;
	}
	if (err != NULL && (sa_cats(o, " error=\"") == -1 ||
	    put_text(o, err, ESC_QUOTED) == -1 || sa_catc(o, '"') == -1))
		return -1;
	return sa_catc(o, '\n');
}

/* qstat_print_text - one line per message, one per recipient below. */
int
qstat_print_text(const struct qstat *q, struct buf *out)
{
	struct sa o = SA_INIT;
	const struct qenv *e;
	char a[64];
	size_t i, k;
	int r = 0;

	for (i = 0; r == 0 && i < q->nmsgs; i++) {
		e = &q->msgs[i].env;
		dur(a, sizeof(a), age(q, e));
		r = sa_catf(&o, "id=%s age=%s size=%lld from=<", e->id, a,
		    q->msgs[i].size);
		if (r == 0)
			r = put_text(&o, e->sender, ESC_ADDR);
		if (r == 0)
			r = sa_catf(&o, "> rcpts=%zu held=%s\n", e->nrcpt,
			    e->held ? "yes" : "no");
		for (k = 0; r == 0 && k < e->nrcpt; k++)
			r = text_rcpt(&o, q, e, &e->rcpt[k]);
		if (r == 0)
			r = flush_sa(&o, out);
	}
	sa_free(&o);
	return r;
}

/* ---- JSON ---------------------------------------------------------- */

/* json_head - the members every document starts with. */
static int
json_head(struct sa *o, const struct qstat *q)
{
	size_t i;
	int r;

	r = sa_catf(o, "{\"version\":1,\"now\":%lld,\"waiting\":%zu,"
	    "\"broken\":[", (long long)q->now, q->waiting);
	for (i = 0; r == 0 && i < q->nbroken; i++)
		r = sa_catf(o, "%s\"%s\"", i > 0 ? "," : "", q->broken[i]);
	return r == 0 ? sa_cats(o, "],") : r;
}

static int
json_rcpt(struct sa *o, const struct qstat *q, const struct qrcpt *r)
{
	const char *err = shown_error(r);

	if (sa_cats(o, "{\"address\":") == -1 || put_json(o, r->addr) ||
	    sa_catf(o, ",\"state\":\"%s\",\"tries\":%u,", state_name(r->state),
	    r->tries) == -1)
		return -1;
	if (r->state == RCPT_PENDING) {
		if (sa_catf(o, "\"next\":%lld,\"next_in\":%lld,",
		    (long long)r->next, r->next > q->now ?
		    (long long)(r->next - q->now) : 0LL) == -1)
			return -1;
	} else if (sa_cats(o, "\"next\":null,\"next_in\":null,") == -1)
		return -1;
	if (sa_cats(o, "\"error\":") == -1)
		return -1;
	if ((err != NULL ? put_json(o, err) : sa_cats(o, "null")) == -1)
		return -1;
	return sa_catc(o, '}');
}

/* qstat_print_json - the listing as one JSON document, a message a line. */
int
qstat_print_json(const struct qstat *q, struct buf *out)
{
	struct sa o = SA_INIT;
	const struct qenv *e;
	size_t i, k;
	int r;

	r = json_head(&o, q);
	if (r == 0)
		r = sa_cats(&o, "\"messages\":[");
	for (i = 0; r == 0 && i < q->nmsgs; i++) {
		e = &q->msgs[i].env;
		r = sa_catf(&o, "%s\n{\"id\":\"%s\",\"arrival\":%lld,"
		    "\"age\":%lld,\"size\":%lld,\"sender\":", i > 0 ? "," : "",
		    e->id, (long long)e->arrival, age(q, e), q->msgs[i].size);
		if (r == 0)
			r = put_json(&o, e->sender);
		if (r == 0)
			r = sa_catf(&o, ",\"held\":%s,\"recipients\":[",
			    e->held ? "true" : "false");
		for (k = 0; r == 0 && k < e->nrcpt; k++) {
			if (k > 0)
				r = sa_catc(&o, ',');
			if (r == 0)
				r = json_rcpt(&o, q, &e->rcpt[k]);
		}
		if (r == 0)
			r = sa_cats(&o, "]}");
		if (r == 0)
			r = flush_sa(&o, out);
	}
	if (r == 0)
		r = sa_cats(&o, "\n]}\n");
	if (r == 0)
		r = flush_sa(&o, out);
	sa_free(&o);
	return r;
}

/* ---- summary by domain --------------------------------------------- */

struct dom {
	char		*name;		/* lower case; "" for no domain */
	size_t		 msgs, rcpts, held, tried;
	long long	 oldest;
};

/* one undelivered recipient: its domain and message */
struct pair {
	char		*name;
	size_t		 msg;
	int		 tried;
};

/* by_pair - by domain, then message. */
static int
by_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->msg < y->msg ? -1 : x->msg > y->msg;
}

/* by_size - most recipients first, then by name. */
static int
by_size(const void *a, const void *b)
{
	const struct dom *x = a, *y = b;

	if (x->rcpts != y->rcpts)
		return x->rcpts > y->rcpts ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* domain_of - addr's domain in lower case (ASCII), a new string. */
static char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');
	char *d, *c;

	if ((d = strdup(at != NULL ? at + 1 : "")) == NULL)
		return NULL;
	for (c = d; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

/* pairs - every undelivered recipient as a pair, sorted; -1 if no memory. */
static long
pairs(const struct qstat *q, struct pair **out)
{
	struct pair *p = NULL, *np;
	const struct qenv *e;
	size_t n = 0, a = 0, i, k;

	for (i = 0; i < q->nmsgs; i++) {
		e = &q->msgs[i].env;
		for (k = 0; k < e->nrcpt; k++) {
			if (!undelivered(&e->rcpt[k]))
				continue;
			if (n == a) {
				a = a ? a * 2 : 64;
				if ((np = reallocarray(p, a, sizeof(*p))) ==
				    NULL)
					goto fail;
				p = np;
			}
			if ((p[n].name = domain_of(e->rcpt[k].addr)) == NULL)
				goto fail;
			p[n].msg = i;
			p[n++].tried = e->rcpt[k].tries > 0;
		}
	}
	if (n > 0)
		qsort(p, n, sizeof(*p), by_pair);
	*out = p;
	return (long)n;
fail:
	for (i = 0; i < n; i++)
		free(p[i].name);
	free(p);
	return -1;
}

/*
 * gather - one struct dom per domain of an undelivered recipient, in
 * *out (sorted by size); their number, or -1 (out of memory).  The
 * names are taken over from the pairs.
 */
static long
gather(const struct qstat *q, struct dom **out)
{
	struct pair *p;
	struct dom *v = NULL, *d = NULL;
	const struct qenv *e;
	long np;
	size_t n = 0, i;

	if ((np = pairs(q, &p)) == -1)
		return -1;
	if (np > 0 && (v = calloc((size_t)np, sizeof(*v))) == NULL) {
		for (i = 0; i < (size_t)np; i++)
			free(p[i].name);
		free(p);
		return -1;
	}
	for (i = 0; i < (size_t)np; i++) {
		e = &q->msgs[p[i].msg].env;
		if (d == NULL || strcmp(d->name, p[i].name) != 0) {
			d = &v[n++];
			d->name = p[i].name;
		} else
			free(p[i].name);
		if (i == 0 || p[i - 1].msg != p[i].msg || d->msgs == 0)
			d->msgs++;
		d->rcpts++;
		d->held += e->held ? 1 : 0;
		d->tried += (size_t)p[i].tried;
		if (age(q, e) > d->oldest)
			d->oldest = age(q, e);
	}
	free(p);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_size);
	*out = v;
	return (long)n;
}

static int
summary_text(struct sa *o, const struct qstat *q, const struct dom *v,
    size_t n, size_t rcpts, size_t held)
{
	char a[64];
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < n; i++) {
		dur(a, sizeof(a), v[i].oldest);
		r = sa_cats(o, "domain=");
		if (r == 0)
			r = v[i].name[0] != '\0' ?
			    put_text(o, v[i].name, ESC_ADDR) :
			    sa_cats(o, "(none)");
		if (r == 0)
			r = sa_catf(o, " msgs=%zu rcpts=%zu held=%zu tried=%zu "
			    "oldest=%s\n", v[i].msgs, v[i].rcpts, v[i].held,
			    v[i].tried, a);
	}
	if (r == 0)
		r = sa_catf(o, "total domains=%zu msgs=%zu rcpts=%zu held=%zu "
		    "waiting=%zu\n", n, q->nmsgs, rcpts, held, q->waiting);
	return r;
}

static int
summary_json(struct sa *o, const struct qstat *q, const struct dom *v,
    size_t n, size_t rcpts, size_t held)
{
	size_t i;
	int r;

	r = json_head(o, q);
	if (r == 0)
		r = sa_cats(o, "\"domains\":[");
	for (i = 0; r == 0 && i < n; i++) {
		r = sa_catf(o, "%s\n{\"domain\":", i > 0 ? "," : "");
		if (r == 0)
			r = put_json(o, v[i].name);
		if (r == 0)
			r = sa_catf(o, ",\"messages\":%zu,\"recipients\":%zu,"
			    "\"held\":%zu,\"tried\":%zu,\"oldest\":%lld}",
			    v[i].msgs, v[i].rcpts, v[i].held, v[i].tried,
			    v[i].oldest);
	}
	if (r == 0)
		r = sa_catf(o, "\n],\"total\":{\"domains\":%zu,\"messages\":%zu,"
		    "\"recipients\":%zu,\"held\":%zu}}\n", n, q->nmsgs, rcpts,
		    held);
	return r;
}

/* qstat_print_summary - undelivered recipients by domain, and a total. */
int
qstat_print_summary(const struct qstat *q, struct buf *out, int json)
{
	struct sa o = SA_INIT;
	struct dom *v = NULL;
	size_t i, rcpts = 0, held = 0;
	long n;
	int r;

	if ((n = gather(q, &v)) == -1)
		return -1;
	for (i = 0; i < (size_t)n; i++) {
		rcpts += v[i].rcpts;
		held += v[i].held;
	}
	r = json ? summary_json(&o, q, v, (size_t)n, rcpts, held) :
	    summary_text(&o, q, v, (size_t)n, rcpts, held);
	if (r == 0)
		r = flush_sa(&o, out);
	for (i = 0; i < (size_t)n; i++)
		free(v[i].name);
	free(v);
	sa_free(&o);
	return r;
}

/* ---- mailq --------------------------------------------------------- */

/*
 * The layout of Postfix's mailq for long queue ids, which is what
 * scripts that read mailq expect today: a heading, per message a line
 * with id ('!' after it when held), size, arrival and sender (the null
 * sender as MAILER-DAEMON), then each recipient still to deliver under
 * "(last error)" when the error differs from the one above, a blank
 * line between messages, and a total in Kbytes and requests.
 */
#define MQ_COLS		"%-17s %8s %-19s %s\n"
#define MQ_INDENT	47	/* 17 + 1 + 8 + 1 + 19 + 1 */
#define MQ_REASON_END	76	/* reasons are right-aligned to here */

static int
mailq_message(struct sa *o, const struct qstat_msg *qm)
{
	const struct qenv *e = &qm->env;
	const char *prev = "", *why;
	struct sa t = SA_INIT;
	char id[QID_LEN + 2], when[32], size[32];
	struct tm tm;
	size_t k;
	int r, pad;

	snprintf(id, sizeof(id), "%s%s", e->id, e->held ? "!" : "");
	snprintf(size, sizeof(size), "%lld", qm->size);
	localtime_r(&e->arrival, &tm);
	if (strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
		when[0] = '\0';
	r = e->sender[0] == '\0' ? sa_cats(&t, "MAILER-DAEMON") :
	    put_text(&t, e->sender, ESC_ADDR);
	if (r == 0)
		r = sa_0(&t);
	if (r == 0)
		r = sa_catf(o, MQ_COLS, id, size, when, t.s);
	for (k = 0; r == 0 && k < e->nrcpt; k++) {
		if (!undelivered(&e->rcpt[k]))
			continue;
		why = e->rcpt[k].error != NULL ? e->rcpt[k].error : "";
		if (strcmp(why, prev) != 0) {
			t.len = 0;
			r = put_text(&t, why[0] != '\0' ? why :
			    "reason unavailable", ESC_QUOTED);
			pad = MQ_REASON_END - (int)t.len;
			if (r == 0)
				r = sa_catf(o, "%*s(%.*s)\n", pad > 0 ? pad : 0,
				    "", (int)t.len, t.s);
			prev = why;
		}
		t.len = 0;
		if (r == 0)
			r = put_text(&t, e->rcpt[k].addr, ESC_ADDR);
		if (r == 0)
			r = sa_catf(o, "%*s%.*s\n", MQ_INDENT, "", (int)t.len,
			    t.s);
	}
	sa_free(&t);
	return r;
}

/* qstat_print_mailq - the queue as mailq prints it. */
int
qstat_print_mailq(const struct qstat *q, struct buf *out)
{
	struct sa o = SA_INIT;
	unsigned long long total = 0;
	size_t i;
	int r = 0;

	if (q->nmsgs == 0)
		r = sa_cats(&o, "Mail queue is empty\n");
	else
		r = sa_catf(&o, MQ_COLS, "----Queue ID-----", "--Size--",
		    "---Arrival Time----", "--Sender/Recipient------");
	for (i = 0; r == 0 && i < q->nmsgs; i++) {
		if (i > 0)
			r = sa_catc(&o, '\n');
		if (r == 0)
			r = mailq_message(&o, &q->msgs[i]);
		total += (unsigned long long)q->msgs[i].size;
		if (r == 0)
			r = flush_sa(&o, out);
	}
	if (r == 0 && q->nmsgs > 0)
		r = sa_catf(&o, "\n-- %llu Kbytes in %zu Request%s.\n",
		    total / 1024, q->nmsgs, q->nmsgs == 1 ? "" : "s");
	if (r == 0)
		r = flush_sa(&o, out);
	sa_free(&o);
	return r;
}
