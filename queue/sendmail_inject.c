/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sendmail_inject - sendmail's default mode (-bm): read the message on
 * standard input, complete its header, and hand it to qinject -Q
 * (qmail-queue's protocol, as smtpd does, with the DSN trailer when -N,
 * -R or -V asked for something), whose exit code becomes a sysexits
 * code.
 *
 * The header is read whole first (at most HEADER_BLOCK_MAX bytes):
 * -t needs its To:, Cc: and Bcc: before the envelope exists, and
 * From:, Date: and Message-ID: are added only when it has none.  Bcc:
 * is always removed, with or without -t: the header of a message sent
 * through sendmail never shows blind copies.  The body then streams
 * through untouched but for CRLF to LF and the lone ".".
 */
#include <sys/types.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrlist.h"
#include "buf.h"
#include "header.h"
#include "log.h"
#include "qinject_exit.h"
#include "queue_trust.h"
#include "sendmail.h"
#include "smtpd_queue.h"

#define CHUNK	65536

struct input {
	struct body_filter f;
	int		 eof;
	struct sa	 data;		/* filtered bytes not yet used */
	size_t		 used;		/* of data */
};

struct msg {
	struct sa	 me;
	struct sa	 origin;	/* what addresses with no domain get */
	struct sa	 login;		/* the invoking user's name */
	struct sa	 rcpts;		/* NUL-terminated, back to back */
	size_t		 nrcpt;
	struct sa	 header;	/* as it will be queued */
	int		 has_from, has_date, has_msgid;
	int		 needs_blank;	/* the input had no header/body gap */
	int		 is_utf8;
};

/* nomem - out of memory is temporary for the caller. */
static void __attribute__((noreturn))
nomem(void)
{
	diex(SM_EX_TEMPFAIL, "out of memory");
}

/* more - read and filter the next chunk of input; 0 at its end. */
static int
more(struct input *in)
{
	char raw[CHUNK], cooked[CHUNK + 2];
	ssize_t r;
	size_t n;

	if (in->eof)
		return 0;
	/* what was used is gone: keep memory to the line being read */
	if (in->used > 0) {
		memmove(in->data.s, in->data.s + in->used,
		    in->data.len - in->used);
		in->data.len -= in->used;
		in->used = 0;
	}
	r = fd_read(0, raw, sizeof(raw));
	if (r == -1)
		die(SM_EX_IOERR, "unable to read the message");
	if (r == 0) {
		n = body_filter_end(&in->f, cooked);
		in->eof = 1;
	} else
		n = body_filter_run(&in->f, raw, (size_t)r, cooked);
	if (in->f.ended)
		in->eof = 1;
	if (sa_catb(&in->data, cooked, n) == -1)
		nomem();
	return n > 0 || !in->eof;
}

/* next_line - the next whole line of input (its end if no '\n' is
 * left); 0 at the end.  *p and *n point into in->data. */
static int
next_line(struct input *in, const char **p, size_t *n)
{
	const char *nl;

	for (;;) {
		nl = in->used < in->data.len ? memchr(in->data.s + in->used,
		    '\n', in->data.len - in->used) : NULL;
		if (nl != NULL || (in->eof && in->used < in->data.len))
			break;
		if (in->eof)
			return 0;
		if (in->data.len - in->used > HEADER_BLOCK_MAX)
			diex(SM_EX_DATAERR, "a header line is longer than %u "
			    "bytes", HEADER_BLOCK_MAX);
		(void)more(in);
	}
	*p = in->data.s + in->used;
	*n = nl != NULL ? (size_t)(nl + 1 - *p) : in->data.len - in->used;
	return 1;
}

/* add_list - the addresses of a To:/Cc:/Bcc: value or an argument. */
static void
add_list(struct msg *m, int code, const char *what, const char *v, size_t n)
{
	const char *why;

	switch (addrlist_parse(v, n, m->origin.s, &m->rcpts, &m->nrcpt,
	    &why)) {
	case ADDRLIST_OK:
		return;
	case ADDRLIST_NOMEM:
		nomem();
	default:
		diex(code, "%s: %s: nothing sent", what, why);
	}
}

/* field - one whole header field (continuation lines included). */
static void
field(struct msg *m, const struct sm_opts *o, const char *f, size_t n)
{
	int is_bcc = header_is(f, n, "Bcc");

	if (header_is(f, n, "From"))
		m->has_from = 1;
	else if (header_is(f, n, "Date"))
		m->has_date = 1;
	else if (header_is(f, n, "Message-ID"))
		m->has_msgid = 1;
	if (o->extract && (is_bcc || header_is(f, n, "To") ||
	    header_is(f, n, "Cc"))) {
		const char *colon = memchr(f, ':', n);

		add_list(m, SM_EX_DATAERR, is_bcc ? "Bcc: field" :
		    header_is(f, n, "To") ? "To: field" : "Cc: field",
		    colon + 1, n - (size_t)(colon + 1 - f));
	}
	if (!is_bcc && sa_catb(&m->header, f, n) == -1)
		nomem();
}

/*
 * read_header - the header fields up to the blank line (which stays in
 * the input, the body's first line) or up to the first line that is
 * neither a field nor a continuation (a message without a header, or
 * with a broken one: a blank line is put before it).
 */
static void
read_header(struct msg *m, const struct sm_opts *o, struct input *in)
{
	struct sa cur = SA_INIT;
	const char *p;
	size_t n;

	while (next_line(in, &p, &n)) {
		int is_cont = p[0] == ' ' || p[0] == '\t';

		if (is_cont && cur.len > 0) {
			if (cur.len + n > HEADER_BLOCK_MAX)
				diex(SM_EX_DATAERR, "the header is larger "
				    "than %u bytes", HEADER_BLOCK_MAX);
			if (sa_catb(&cur, p, n) == -1)
				nomem();
			in->used += n;
			continue;
		}
		if (cur.len > 0)
			field(m, o, cur.s, cur.len);
		cur.len = 0;
		if (m->header.len + n > HEADER_BLOCK_MAX)
			diex(SM_EX_DATAERR, "the header is larger than %u "
			    "bytes", HEADER_BLOCK_MAX);
		if (!header_is_field(p, n)) {
			m->needs_blank = p[0] != '\n';
			break;
		}
		if (sa_copyb(&cur, p, n) == -1)
			nomem();
		in->used += n;
	}
	if (cur.len > 0) {
		field(m, o, cur.s, cur.len);
		/* a header with no body: end its last line */
		if (m->header.len > 0 &&
		    m->header.s[m->header.len - 1] != '\n' &&
		    sa_catc(&m->header, '\n') == -1)
			nomem();
	}
	sa_free(&cur);
}

/* put_name - the display name of the From: line, quoted if it must
 * be.  A name with control bytes (a header injection) is refused when
 * given with -F, and left out when it came from NAME or the GECOS. */
static void
put_name(struct sa *s, const char *name, int is_given)
{
	const char *c;
	int plain = 1;

	for (c = name; *c != '\0'; c++) {
		if (((unsigned char)*c < 32 || *c == 127) && is_given)
			diex(SM_EX_USAGE, "the full name has a control byte");
		if ((unsigned char)*c < 32 || *c == 127)
			return;
		if (strchr("()<>[]:;@\\,.\"", *c) != NULL)
			plain = 0;
	}
	if (name[0] == '\0')
		return;
	if (plain) {
		if (sa_cats(s, name) == -1 || sa_catc(s, ' ') == -1)
			nomem();
		return;
	}
	if (sa_catc(s, '"') == -1)
		nomem();
	for (c = name; *c != '\0'; c++)
		if ((strchr("\"\\", *c) != NULL && sa_catc(s, '\\') == -1) ||
		    sa_catc(s, *c) == -1)
			nomem();
	if (sa_cats(s, "\" ") == -1)
		nomem();
}

/* full_name - -F, else $NAME, else the account's GECOS up to ','. */
static const char *
full_name(const struct sm_opts *o, char *buf, size_t size)
{
	struct passwd *pw;
	const char *env = getenv("NAME");

	if (o->fullname != NULL)
		return o->fullname;
	if (env != NULL)
		return env;
	if ((pw = getpwuid(getuid())) == NULL || pw->pw_gecos == NULL)
		return "";
	strlcpy(buf, pw->pw_gecos, size);
	buf[strcspn(buf, ",")] = '\0';
	return buf;
}

/* added - the fields qpost adds when the message lacks them. */
static void
added(struct msg *m, const struct sm_opts *o, const char *id,
    const char *from, struct sa *s)
{
	char date[64], gecos[256];
	time_t now = time(NULL);
	struct tm tm;

	if (!m->has_msgid && sa_catf(s, "Message-ID: <%lld.%s@%s>\n",
	    (long long)now, id, m->me.s) == -1)
		nomem();
	if (!m->has_date) {
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
		if (sa_catf(s, "Date: %s\n", date) == -1)
			nomem();
	}
	if (!m->has_from) {
		if (sa_cats(s, "From: ") == -1)
			nomem();
		put_name(s, full_name(o, gecos, sizeof(gecos)),
		    o->fullname != NULL);
		if (sa_catf(s, "<%s>\n", from) == -1)
			nomem();
	}
}

/* who - the invoking user's login name, control/me and origin. */
static void
who(struct msg *m)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL)
		diex(SM_EX_NOPERM, "uid %lu has no name", (unsigned long)getuid());
	if (sa_copys(&m->login, pw->pw_name) == -1 || sa_0(&m->login) == -1)
		nomem();
	if (trust_me(&m->me) == -1)
		diex(SM_EX_TEMPFAIL, "unable to read control/me");
	if (sa_0(&m->me) == -1)
		nomem();
	if (trust_origin(&m->origin, m->me.s) == -1)
		diex(SM_EX_TEMPFAIL, "control/origin is broken");
}

/* sender_of - the envelope sender: -f (its <> taken off) or login. */
static const char *
sender_of(const struct sm_opts *o, const struct msg *m, char *buf,
    size_t size)
{
	size_t n;

	if (o->sender == NULL)
		return m->login.s;
	n = strlen(o->sender);
	if (n >= 2 && o->sender[0] == '<' && o->sender[n - 1] == '>') {
		if (n - 2 >= size)
			diex(SM_EX_USAGE, "the sender is too long");
		memcpy(buf, o->sender + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	return o->sender;
}

/* has_8bit - an address in UTF-8 (RFC 6531): qinject is told. */
static int
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* unique - drop repeated recipients (To: and Cc: often overlap). */
static void
unique(struct msg *m)
{
	struct sa out = SA_INIT;
	const char *r, *q, *end;
	size_t n = 0;

	if (m->rcpts.len == 0)
		return;
	end = m->rcpts.s + m->rcpts.len;
	for (r = m->rcpts.s; r < end; r += strlen(r) + 1) {
		for (q = out.s; out.len > 0 && q < out.s + out.len;
		    q += strlen(q) + 1)
			if (strcmp(q, r) == 0)
				break;
		if (out.len > 0 && q < out.s + out.len)
			continue;
		if (sa_catb(&out, r, strlen(r) + 1) == -1)
			nomem();
		n++;
		if (has_8bit(r))
			m->is_utf8 = 1;
	}
	sa_free(&m->rcpts);
	m->rcpts = out;
	m->nrcpt = n;
}

/* pump - the rest of the input, after the header, to qinject. */
static void
pump(struct input *in, struct qjob *job)
{
	do {
		if (in->used < in->data.len)
			qjob_write(job, in->data.s + in->used,
			    in->data.len - in->used);
		in->used = in->data.len;
	} while (more(in));
}

/*
 * sendmail_exit_code - qinject's exit code (queue/qinject_exit.h) as
 * sysexits: an invalid address is EX_NOUSER, a refusal (a sender the
 * user may not claim, a message too large) EX_NOPERM, another
 * permanent failure EX_DATAERR, anything temporary EX_TEMPFAIL.
 */
int
sendmail_exit_code(int code)
{
	if (code == QI_OK)
		return SM_EX_OK;
	if (code == QI_TOOLONG)
		return SM_EX_NOUSER;
	if (code == QI_REFUSED)
		return SM_EX_NOPERM;
	if (QI_IS_PERMANENT(code))
		return SM_EX_DATAERR;
	return SM_EX_TEMPFAIL;
}

/*
 * sendmail_inject - read, complete and queue one message.  Returns the
 * exit code; dies (with a sysexits code) on bad input.
 */
int
sendmail_inject(const struct sm_opts *o)
{
	struct msg m;
	struct input in;
	struct qjob job;
	struct sa top = SA_INIT, rcpt_dsn = SA_INIT;
	char sbuf[1024], from[1024];
	const char *sender;
	int i, n, code;

	memset(&m, 0, sizeof(m));
	memset(&in, 0, sizeof(in));
	body_filter_init(&in.f, o->dot_ends);
	who(&m);
	for (i = 0; i < o->nrcpts; i++) {
		/* an option where a recipient should be: a caller passed
		 * its input on unchecked (Postfix refuses these too) */
		if (o->rcpts[i][0] == '-')
			diex(SM_EX_USAGE, "%s: a recipient may not start with "
			    "'-': nothing sent", o->rcpts[i]);
		add_list(&m, SM_EX_NOUSER, o->rcpts[i], o->rcpts[i],
		    strlen(o->rcpts[i]));
	}
	read_header(&m, o, &in);
	unique(&m);
	if (m.nrcpt == 0)
		diex(SM_EX_USAGE, "no recipients: name them as arguments, or "
		    "use -t and To:, Cc: or Bcc: fields: nothing sent");
	sender = sender_of(o, &m, sbuf, sizeof(sbuf));
	if (has_8bit(sender))
		m.is_utf8 = 1;
	if ((code = qjob_start(&job, m.is_utf8)) != 0) {
		log_warnx("unable to start qinject: exit %d", code);
		return sendmail_exit_code(code);
	}
	/* From: shows the sender, qualified as qinject will qualify it */
	if (strchr(sender, '@') != NULL)
		n = snprintf(from, sizeof(from), "%s", sender);
	else
		n = snprintf(from, sizeof(from), "%s@%s", sender[0] != '\0' ?
		    sender : m.login.s, m.origin.s);
	if (n < 0 || (size_t)n >= sizeof(from))
		diex(SM_EX_USAGE, "the sender is too long");
	added(&m, o, job.id, from, &top);
	if (top.len > 0)
		qjob_write(&job, top.s, top.len);
	if (m.header.len > 0)
		qjob_write(&job, m.header.s, m.header.len);
	if (m.needs_blank)
		qjob_write(&job, "\n", 1);
	pump(&in, &job);
	/* -N for each recipient, as qinject's trailer carries it */
	if (o->every_rcpt.notify != 0 &&
	    dsn_list_repeat(&rcpt_dsn, &o->every_rcpt, m.nrcpt) == -1)
		nomem();
	code = qjob_finish(&job, sender, &m.rcpts, &o->dsn, &rcpt_dsn);
	if (code != 0)
		log_warnx("qinject failed with exit %d: see above; the "
		    "message was not sent", code);
	sa_free(&top);
	sa_free(&rcpt_dsn);
	sa_free(&in.data);
	sa_free(&m.me);
	sa_free(&m.origin);
	sa_free(&m.login);
	sa_free(&m.rcpts);
	sa_free(&m.header);
	return sendmail_exit_code(code);
}
