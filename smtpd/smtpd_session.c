/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_session - the SMTP state machine (RFC 5321 with PIPELINING,
 * SIZE, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING and DSN).
 *
 * STARTTLS drops whatever the client pipelined behind it and starts
 * the session over inside TLS (RFC 3207, CVE-2011-0411).
 *
 * A command table maps each verb to a handler; each handler first
 * checks (state, arguments, policy) and replies with an error, and only
 * then proceeds.  Replies are buffered and written when no more input
 * is waiting, so pipelined commands get their replies in order and in
 * as few writes as the client's batches allow (RFC 2920).  Nothing the
 * client sends costs memory beyond the fixed buffers: a long line is
 * skipped, a message is streamed to qinject as it arrives.
 */
#include <sys/stat.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "local.h"
#include "log.h"
#include "qinject_exit.h"
#include "queue_space.h"
#include "rcpthosts.h"
#include "relayrcpt.h"
#include "badaddr.h"
#include "smtpd_srs.h"
#include "senders.h"
#include "smtpd_auth.h"
#include "smtpd.h"
#include "vdomains.h"

struct command {
	enum smtp_verb	 verb;
	void		(*fn)(struct session *, const struct smtp_cmd *);
};

static void __attribute__((noreturn)) hang_up(struct session *);

/*
 * The end of a session jumps back to session_run, which returns to its
 * caller (smtpd's main exits then), so the session can also be run
 * in-process, by the fuzz target, once per input.  Everything a session
 * allocates hangs off struct session, so the jump loses nothing.
 */
static sigjmp_buf	 session_done;

static void __attribute__((noreturn))
session_end(void)
{
	siglongjmp(session_done, 1);
}

/*
 * soften - control/softbounce: a refusal 550 to 554 (of a sender, a
 * recipient, a message) becomes 450 to 454, its enhanced code 4.x.x,
 * so that the client keeps the mail while the admin checks the
 * settings that refused it, as Postfix's soft_bounce does.
 */
static void
soften(char *line, size_t n)
{
	size_t i;

	for (i = 0; i + 3 <= n; i++) {
		if ((i == 0 || line[i - 1] == '\n') && line[i] == '5' &&
		    line[i + 1] == '5' && line[i + 2] >= '0' &&
		    line[i + 2] <= '4') {
			line[i] = '4';
			if (i + 5 < n && line[i + 4] == '5' && line[i + 5] == '.')
				line[i + 4] = '4';
		}
	}
}

/* reply - one reply line (or several, joined by "\n") with CRLF ends. */
static void __attribute__((format(printf, 2, 3)))
reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	if (s->set.soft_bounce)
		soften(line, (size_t)n);
	line[n++] = '\r';
	line[n++] = '\n';
	if (buf_put(&s->out, line, (size_t)n) == -1)
		hang_up(s);
}

/* error_reply - a refusal that counts toward control/maxerrors. */
static void __attribute__((format(printf, 2, 3)))
error_reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reply(s, "%s", line);
	if (++s->errors >= s->set.maxerrors) {
		reply(s, "421 4.7.0 %s too many errors: closing", s->set.me.s);
		log_info("session=%s ip=%s closed reason=too_many_errors",
		    s->sid, s->ip);
		hang_up(s);
	}
}

/* flush - write out pending replies; a dead client ends the session. */
static void
flush(struct session *s)
{
	if (buf_flush(&s->out) == -1) {
		log_info("session=%s ip=%s closed reason=write_failed",
		    s->sid, s->ip);
		if (s->job.pid != 0)
			qjob_abort(&s->job);
		session_end();
	}
}

static void
hang_up(struct session *s)
{
	(void)buf_flush(&s->out);
	stls_close(&s->tls, 5);
	if (s->job.pid != 0)
		qjob_abort(&s->job);
	log_info("session=%s ip=%s end messages=%u errors=%lld", s->sid,
	    s->ip, s->messages, s->errors);
	session_end();
}

/* set_timeout - the read deadline: idle limit or end of the session. */
static void
set_timeout(struct session *s)
{
	time_t now = time(NULL), left = s->deadline - now;

	if (left > s->set.timeout)
		left = s->set.timeout;
	if (left <= 0) {
		reply(s, "421 4.4.2 %s session too long: closing",
		    s->set.me.s);
		log_info("session=%s ip=%s closed reason=session_timeout",
		    s->sid, s->ip);
		hang_up(s);
	}
	s->in.timeout = (int)left * 1000;
}

/* tls_wait - seconds a handshake may take: the idle limit, or less. */
static int
tls_wait(struct session *s)
{
	time_t left = s->deadline - time(NULL);

	if (left > s->set.timeout)
		left = s->set.timeout;
	return left > 0 ? (int)left : 1;
}

/* read_failed - EOF or timeout while reading: the session ends. */
static void __attribute__((noreturn))
read_failed(struct session *s, int r)
{
	if (r == -1 && errno == ETIMEDOUT) {
		reply(s, "421 4.4.2 %s timeout: closing", s->set.me.s);
		log_info("session=%s ip=%s closed reason=timeout", s->sid,
		    s->ip);
	} else
		log_info("session=%s ip=%s closed reason=%s", s->sid, s->ip,
		    r == -1 ? "read_error" : "eof");
	hang_up(s);
}

/* fill - more input; replies go out first when nothing else waits. */
static void
fill(struct session *s)
{
	ssize_t r;

	flush(s);
	set_timeout(s);
	if ((r = buf_fill(&s->in)) <= 0)
		read_failed(s, (int)r);
}

/* ---- the transaction ---------------------------------------------- */

static void
reset_transaction(struct session *s)
{
	if (s->job.pid != 0)
		qjob_abort(&s->job);
	memset(&s->mail, 0, sizeof(s->mail));
	s->sender[0] = '\0';
	s->rcpts.len = 0;
	s->rcpt_dsn.len = 0;
	s->prepend.len = 0;
	s->policy_discard = 0;
	s->policy_redirect.len = s->policy_bcc.len = 0;
	s->policy_nbcc = 0;
	s->nrcpt = 0;
	s->job_failed = 0;
	if (s->state > STATE_HELO)
		s->state = STATE_HELO;
}

/*
 * with - the protocol word of RFC 3848 and 6531 for Received:, with
 * the TLS details as a comment after it: ESMTP[S][A] or UTF8SMTP[S][A]
 * ("S": TLS; "A": authenticated), plain SMTP for HELO.
 */
static const char *
with(const struct session *s, char *w, size_t size)
{
	const char *base;

	if (s->mail.smtputf8)
		base = "UTF8SMTP";
	else if (s->is_esmtp)
		base = "ESMTP";
	else
		return "SMTP";
	snprintf(w, size, "%s%s%s", base, s->tls_active ? "S" : "",
	    s->authenticated ? "A" : "");
	return w;
}

/* emit - message octets to qinject, through the content checks if any */
static void
emit(struct session *s, const char *p, size_t n)
{
	if (s->job_failed || n == 0)
		return;
	if (s->checking) {
		session_checks_feed(s, p, n, &s->checked);
		p = s->checked.s;
		n = s->checked.len;
		s->checked.len = 0;
	}
	if (n > 0)
		qjob_write(&s->job, p, n);
}

/* start_message - qinject, and the Received: line at the top. */
static int
start_message(struct session *s)
{
	char date[64], line[1024], w[16], tls[160];
	struct tm tm;
	time_t now = time(NULL);
	int n, code;

	smtpd_verify_env(s);
	if ((code = qjob_start(&s->job, s->mail.smtputf8)) != 0) {
		log_warnx("session=%s unable to start qinject: exit %d",
		    s->sid, code);
		return code;
	}
	session_checks_start(s);
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	tls[0] = '\0';
	if (s->tls_active)
		snprintf(tls, sizeof(tls), " (%s)", s->tls.info);
	/* a policy server's headers above: Postfix puts them there too */
	emit(s, s->prepend.s, s->prepend.len);
	n = snprintf(line, sizeof(line), "Received: from %s (%s [%s])\n"
	    "\tby %s (qpost) with %s%s id %s%s%s%s; %s\n", s->helo, s->host,
	    s->ip, s->set.me.s, with(s, w, sizeof(w)), tls, s->job.id,
	    s->nrcpt == 1 ? "\n\tfor <" : "", s->nrcpt == 1 ? s->rcpts.s : "",
	    s->nrcpt == 1 ? ">" : "", date);
	if (n > 0 && (size_t)n < sizeof(line))
		emit(s, line, (size_t)n);
	data_init(&s->data, 1, s->set.databytes);
	return 0;
}

/* queued_reply - the reply for qinject's exit code, and the log line. */
static void
queued_reply(struct session *s, int code)
{
	const char *vtext = smtpd_verify_reply(code);

	if (code == 0) {
		s->messages++;
		log_info("id=%s session=%s accepted from=<%s> rcpts=%zu "
		    "size=%llu ip=%s", s->job.id, s->sid, s->sender, s->nrcpt,
		    s->data.size, s->ip);
		reply(s, "250 2.0.0 Ok: queued as %s", s->job.id);
	} else if (vtext != NULL) {
		log_info("session=%s ip=%s refused message from=<%s> "
		    "reason=verify_%d", s->sid, s->ip, s->sender, code);
		reply(s, "%s", vtext);
	} else if (QI_IS_PERMANENT(code)) {
		log_info("session=%s refused message reason=qinject_%d",
		    s->sid, code);
		reply(s, "554 5.3.0 The queue refused the message (%d)", code);
	} else if (code == QI_WRITE) {
		log_info("session=%s deferred message reason=queue_full",
		    s->sid);
		reply(s, "452 4.3.1 Insufficient system storage");
	} else {
		log_info("session=%s deferred message reason=qinject_%d",
		    s->sid, code);
		reply(s, "451 4.3.0 Temporary queue failure (%d), try again "
		    "later", code);
	}
}

/* refused_reply - the reply for a message the data machine flagged. */
static void
refused_reply(struct session *s)
{
	int f = s->data.flags;
	const char *why;

	if (f & DATA_TOO_BIG) {
		why = "too_big";
		reply(s, "552 5.3.4 Message size exceeds the limit of %llu "
		    "octets", s->set.databytes);
	} else if (f & DATA_LOOP) {
		why = "loop";
		reply(s, "554 5.4.6 Too many Received: headers: mail loop");
	} else if (f & (DATA_BARE_LF | DATA_BARE_CR)) {
		why = "bare_newline";
		reply(s, "550 5.6.11 Message refused: bare CR or LF; lines "
		    "must end in CRLF");
	} else if (f & DATA_NUL) {
		why = "nul";
		reply(s, "554 5.6.0 Message refused: NUL byte");
	} else {
		why = "long_line";
		reply(s, "554 5.6.0 Message refused: a line is longer than "
		    "%d octets", DATA_LINE_MAX);
	}
	log_info("session=%s ip=%s refused message from=<%s> reason=%s",
	    s->sid, s->ip, s->sender, why);
}

/* checks_reply - the reply when the content checks took the message */
static void
checks_reply(struct session *s, int verdict)
{
	const struct policy_action *r = &s->content.refusal;

	if (verdict == CHECKS_REFUSED) {
		log_info("session=%s ip=%s refused message from=<%s> "
		    "reason=content_check", s->sid, s->ip, s->sender);
		reply(s, "%d %s %s", r->code, r->status, r->text);
	} else if (verdict == CHECKS_DISCARDED) {
		/* told what it would be told for any mail, as by Postfix */
		log_info("id=%s session=%s discarded from=<%s> rcpts=%zu "
		    "size=%llu ip=%s", s->job.id, s->sid, s->sender, s->nrcpt,
		    s->data.size, s->ip);
		reply(s, "250 2.0.0 Ok: queued as %s", s->job.id);
	} else {
		log_warnx("session=%s checks of the whole message ran out of "
		    "memory", s->sid);
		reply(s, "451 4.3.0 Temporary local problem, try again later");
	}
}

/* end_message - the message is in: queue it or refuse it. */
static void
end_message(struct session *s)
{
	int verdict;

	if (s->job_failed)
		reply(s, "451 4.3.0 Temporary queue failure, try again later");
	else if (s->data.flags != 0) {
		qjob_abort(&s->job);
		refused_reply(s);
	} else if ((verdict = session_checks_end(s, &s->checked)) !=
	    CHECKS_QUEUE) {
		qjob_abort(&s->job);
		checks_reply(s, verdict);
	} else {
		if (s->checked.len > 0)
			qjob_write(&s->job, s->checked.s, s->checked.len);
		s->checked.len = 0;
		queued_reply(s, qjob_finish(&s->job, s->sender, &s->rcpts,
		    &s->mail.dsn, &s->rcpt_dsn));
	}
	s->job.pid = 0;
	reset_transaction(s);
}

/* pump - send data_feed's output to qinject (unless it failed). */
static void
pump(struct session *s, struct sa *out)
{
	emit(s, out->s, out->len);
	out->len = 0;
}

/* ---- the commands --------------------------------------------------- */

static int
in_transaction_order(struct session *s, enum smtp_state want)
{
	if (s->state == STATE_START) {
		error_reply(s, "503 5.5.1 Send HELO or EHLO first");
		return 0;
	}
	if (s->state == STATE_BDAT) {
		error_reply(s, "503 5.5.1 Finish BDAT with BDAT LAST first");
		return 0;
	}
	if (want == STATE_HELO && s->state != STATE_HELO) {
		error_reply(s, "503 5.5.1 Nested MAIL command");
		return 0;
	}
	if (want == STATE_MAIL && s->state < STATE_MAIL) {
		error_reply(s, "503 5.5.1 Need MAIL before RCPT");
		return 0;
	}
	if (want == STATE_RCPT && s->state < STATE_RCPT) {
		error_reply(s, "503 5.5.1 Need RCPT before DATA");
		return 0;
	}
	return 1;
}

/* set_helo - keep the client's name, made safe for Received:. */
static int
set_helo(struct session *s, const struct smtp_cmd *c)
{
	size_t i, n = c->arglen;

	while (n > 0 && c->arg[n - 1] == ' ')
		n--;
	if (n == 0) {
		error_reply(s, "501 5.5.4 Syntax: %s hostname",
		    cmd_verb_name(c->verb));
		return 0;
	}
	if (n >= sizeof(s->helo))
		n = sizeof(s->helo) - 1;
	for (i = 0; i < n; i++)
		s->helo[i] = (c->arg[i] > ' ' && c->arg[i] < 127 &&
		    c->arg[i] != '(' && c->arg[i] != ')') ? c->arg[i] : '_';
	s->helo[n] = '\0';
	(void)setenv("QPOST_HELO", s->helo, 1);	/* for a filter's milter */
	reset_transaction(s);
	s->state = STATE_HELO;
	return 1;
}

static void
do_helo(struct session *s, const struct smtp_cmd *c)
{
	if (!set_helo(s, c))
		return;
	s->is_esmtp = 0;
	reply(s, "250 %s", s->set.me.s);
}

static void
do_ehlo(struct session *s, const struct smtp_cmd *c)
{
	if (!set_helo(s, c))
		return;
	s->is_esmtp = 1;
	/* STARTTLS: only with a usable certificate, and only once */
	/* AUTH: only inside TLS, so no password ever crosses in clear */
	reply(s, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n"
	    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n"
	    "250-DSN\r\n%s%s250 CHUNKING", s->set.me.s, s->set.databytes,
	    s->tls_ok == 1 && !s->tls_active ? "250-STARTTLS\r\n" : "",
	    s->tls_active && !s->authenticated ? "250-AUTH PLAIN LOGIN\r\n" :
	    "");
}

/*
 * do_starttls - RFC 3207.  Whatever the client sent behind STARTTLS
 * before the handshake is thrown away unread (CVE-2011-0411: pipelined
 * plaintext must never run as if it came inside TLS); then the session
 * starts over and the client must say EHLO again.
 */
static void
do_starttls(struct session *s, const struct smtp_cmd *c)
{
	size_t dropped;

	if (c->arglen > 0) {
		error_reply(s, "501 5.5.4 Syntax: STARTTLS (no argument)");
		return;
	}
	if (s->tls_active) {
		error_reply(s, "503 5.5.1 TLS already active");
		return;
	}
	if (s->tls_ok == 0) {
		error_reply(s, "502 5.5.1 STARTTLS is not offered");
		return;
	}
	if (s->tls_ok != 1) {
		reply(s, "454 4.7.0 TLS not available due to temporary reason");
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	flush(s);
	dropped = s->in.len - s->in.pos;
	s->in.pos = s->in.len = 0;
	if (dropped > 0)
		log_info("session=%s ip=%s starttls discarded=%zu "
		    "reason=pipelined_before_handshake", s->sid, s->ip, dropped);
	if (stls_start(&s->tls, &s->in, &s->out, tls_wait(s), s->sid,
	    s->ip) == -1) {
		if (s->job.pid != 0)
			qjob_abort(&s->job);
		session_end();
	}
	s->tls_active = 1;
	log_info("session=%s ip=%s starttls version=%s cipher=%s bits=%d%s",
	    s->sid, s->ip, stls_version(&s->tls), stls_cipher(&s->tls),
	    stls_bits(&s->tls), stls_sni(&s->tls));
	reset_transaction(s);
	s->state = STATE_START;
	s->helo[0] = '\0';
	s->is_esmtp = 0;
}
/*
 * owns_sender - an authenticated user may only use its own addresses
 * as the envelope sender (control/senders), so no account can send as
 * another.  Replies and returns 0 when it may not.
 */
static int
owns_sender(struct session *s)
{
	int r = sender_allowed(s->auth_user, s->sender);

	if (r == 1)
		return 1;
	if (r == -1)
		reply(s, "451 4.3.0 Temporary policy failure, try again later");
	else {
		log_info("session=%s ip=%s user=%s refused sender=<%s> "
		    "reason=not_owned", s->sid, s->ip, s->auth_user, s->sender);
		error_reply(s, "553 5.7.1 <%s>: sender address not owned by "
		    "user %s", s->sender, s->auth_user);
	}
	return 0;
}

/*
 * auth_line - one line of an AUTH exchange (after a 334), without its
 * CRLF, into line.  Returns 0, or -1 when it is too long or not CRLF.
 */
static int
auth_line(struct session *s, struct sa *line)
{
	int r;

	flush(s);
	set_timeout(s);
	r = buf_getline(&s->in, line, '\n', AUTH_B64_MAX + 2);
	if (r == BUF_TOOLONG)
		return -1;
	if (r != BUF_LINE)
		read_failed(s, r == -1 ? -1 : 0);
	if (line->len < 2 || line->s[line->len - 2] != '\r')
		return -1;
	line->len -= 2;
	line->s[line->len] = '\0';
	return 0;
}

/*
 * auth_response - the client's answer to a 334 challenge, or the
 * initial response given on the AUTH line.  Returns 1 with it in line,
 * 0 when the client cancelled with "*" (replied 501), -1 on a syntax
 * error (replied).
 */
static int
auth_response(struct session *s, const char *initial, size_t n,
    const char *challenge, struct sa *line)
{
	if (initial != NULL) {
		if (sa_copyb(line, initial, n) == -1 || sa_0(line) == -1)
			return -1;
	} else {
		reply(s, "334 %s", challenge);
		if (auth_line(s, line) == -1) {
			error_reply(s, "501 5.5.2 Bad AUTH response");
			return -1;
		}
	}
	if (line->len == 1 && line->s[0] == '*') {
		error_reply(s, "501 5.7.0 Authentication cancelled");
		return 0;
	}
	return 1;
}

/* auth_credentials - user and password by PLAIN or LOGIN; 1 if got. */
static int
auth_credentials(struct session *s, int is_plain, const char *initial,
    size_t n, char *user, char *pass)
{
	struct sa *line = &s->authline;
	int r;

	if (is_plain) {
		if ((r = auth_response(s, initial, n, "", line)) == 1 &&
		    auth_decode_plain(line->s, line->len, user,
		    AUTH_USER_MAX + 1, pass, AUTH_PASS_MAX + 1) == -1) {
			error_reply(s, "501 5.5.2 Bad PLAIN response");
			r = -1;
		}
	} else {
		r = auth_response(s, initial, n, AUTH_LOGIN_USER_PROMPT, line);
		if (r == 1 && auth_decode_login(line->s, line->len, user,
		    AUTH_USER_MAX + 1) == -1) {
			error_reply(s, "501 5.5.2 Bad LOGIN response");
			r = -1;
		}
		if (r == 1 && (r = auth_response(s, NULL, 0,
		    AUTH_LOGIN_PASS_PROMPT, line)) == 1 &&
		    auth_decode_login(line->s, line->len, pass,
		    AUTH_PASS_MAX + 1) == -1) {
			error_reply(s, "501 5.5.2 Bad LOGIN response");
			r = -1;
		}
	}
	sa_wipe(line);
	return r == 1;
}

/*
 * do_auth - RFC 4954, PLAIN and LOGIN, only inside TLS.  qpauth checks
 * the password; smtpd never sees the database.  Failures are logged
 * with the client and the user, never the password.
 */
static void
do_auth(struct session *s, const struct smtp_cmd *c)
{
	char user[AUTH_USER_MAX + 1] = "", pass[AUTH_PASS_MAX + 1] = "";
	const char *sp = memchr(c->arg, ' ', c->arglen), *initial = NULL;
	size_t mlen = sp ? (size_t)(sp - c->arg) : c->arglen, n = 0;
	int is_plain, r;

	if (!s->tls_active) {
		error_reply(s, "538 5.7.11 Encryption required: use STARTTLS "
		    "first");
		return;
	}
	if (s->state != STATE_HELO || s->authenticated) {
		error_reply(s, "503 5.5.1 AUTH not allowed now");
		return;
	}
	is_plain = mlen == 5 && strncasecmp(c->arg, "PLAIN", 5) == 0;
	if (!is_plain && !(mlen == 5 && strncasecmp(c->arg, "LOGIN", 5) == 0)) {
		error_reply(s, "504 5.5.4 Unrecognized authentication mechanism");
		return;
	}
	if (sp != NULL) {
		initial = sp + 1;
		n = c->arglen - mlen - 1;
		if (n == 1 && initial[0] == '=')
			n = 0;	/* an empty initial response */
	}
	if (!auth_credentials(s, is_plain, initial, n, user, pass)) {
		explicit_bzero(pass, sizeof(pass));
		return;
	}
	r = auth_check(auth_socket_path(), user, pass, s->ip);
	explicit_bzero(pass, sizeof(pass));
	if (r == AUTH_OK) {
		s->authenticated = 1;
		strlcpy(s->auth_user, user, sizeof(s->auth_user));
		(void)setenv("QPOST_SIGN", "auth", 1);	/* qinject's signer */
		(void)setenv("QPOST_AUTH_USER", user, 1); /* a filter's milter */
		log_info("session=%s ip=%s auth=ok user=%s mech=%s", s->sid,
		    s->ip, user, is_plain ? "PLAIN" : "LOGIN");
		reply(s, "235 2.7.0 Authentication successful");
	} else if (r == AUTH_BAD) {
		log_info("session=%s ip=%s auth=failed user=%s mech=%s",
		    s->sid, s->ip, user, is_plain ? "PLAIN" : "LOGIN");
		error_reply(s, "535 5.7.8 Authentication credentials invalid");
	} else {
		log_warnx("session=%s ip=%s auth=tempfail user=%s", s->sid,
		    s->ip, user);
		reply(s, "454 4.7.0 Temporary authentication failure");
	}
}


static void
do_mail(struct session *s, const struct smtp_cmd *c)
{
	char line[POLICY_LINE_MAX];
	const char *why;
	long long minfree;
	int r;

	if (!in_transaction_order(s, STATE_HELO))
		return;
	if (s->needs_auth && !s->authenticated) {
		error_reply(s, "530 5.7.0 Authentication required");
		return;
	}
	r = cmd_parse_mail(c->arg, c->arglen, 1, &s->mail, &why);
	if (r == ARGS_UNKNOWN) {
		error_reply(s, "555 5.5.4 %s", why);
		return;
	}
	if (r == ARGS_TOOLONG) {
		error_reply(s, "553 5.1.7 %s", why);
		return;
	}
	if (r == ARGS_PARAM) {
		error_reply(s, "501 5.5.4 %s", why);
		return;
	}
	if (r != ARGS_OK) {
		error_reply(s, "501 5.1.7 %s", why);
		return;
	}
	if (s->mail.has_size && s->set.databytes > 0 &&
	    s->mail.size > s->set.databytes) {
		error_reply(s, "552 5.3.4 Message size exceeds the limit of "
		    "%llu octets", s->set.databytes);
		return;
	}
	if ((r = queue_space_ok(s->queue_fd, &minfree)) != 1) {
		log_info("session=%s ip=%s deferred mail reason=%s", s->sid,
		    s->ip, r == 0 ? "below_minfree" : "minfree_broken");
		reply(s, "452 4.3.1 Insufficient system storage");
		return;
	}
	if (addr_format(&s->mail.addr, s->sender, sizeof(s->sender)) == -1) {
		error_reply(s, "553 5.1.7 Sender address too long");
		return;
	}
	if (s->sender[0] != '\0' &&
	    badaddr_listed(&s->set.badmailfrom, s->sender)) {
		log_info("session=%s ip=%s refused sender=<%s> "
		    "reason=badmailfrom", s->sid, s->ip, s->sender);
		error_reply(s, "553 5.7.1 <%s>: sender refused "
		    "(control/badmailfrom)", s->sender);
		s->sender[0] = '\0';
		return;
	}
	if (s->authenticated && !owns_sender(s))
		return;
	if (session_sender_check(s, line, sizeof(line))) {
		error_reply(s, "%s", line);
		s->sender[0] = '\0';
		return;
	}
	s->state = STATE_MAIL;
	s->transactions++;
	reply(s, "250 2.1.0 Ok");
}

/* badrcpt - a recipient of control/badrcptto: 1 when refused (replied) */
static int
badrcpt(struct session *s, const struct rcpt_args *r)
{
	char addr[ADDR_PATH_MAX + 1];

	if (addr_format(&r->addr, addr, sizeof(addr)) == -1 ||
	    !badaddr_listed(&s->set.badrcptto, addr))
		return 0;
	log_info("session=%s ip=%s refused rcpt=<%s> reason=badrcptto",
	    s->sid, s->ip, addr);
	error_reply(s, "553 5.7.1 <%s>: recipient refused "
	    "(control/badrcptto)", addr);
	return 1;
}

/*
 * srs_rcpt - one of this host's SRS addresses (smtpd_srs.c) becomes the
 * original sender it stands for, relayed to whoever the client is.
 * 1 to take it (r changed), 0 when refused (replied), -1 when it is no
 * SRS address of ours.
 */
static int
srs_rcpt(struct session *s, struct rcpt_args *r, const char *plain)
{
	char back[ADDR_PATH_MAX + 1], was[ADDR_PATH_MAX + 1];
	const char *why = NULL;
	struct addr a;
	int found;

	found = smtpd_srs_rcpt(plain, r->addr.domain, s->set.me.s, back,
	    sizeof(back), &why);
	if (found == 0)
		return -1;
	if (found == -2) {
		reply(s, "451 4.3.0 Temporary lookup failure, try again later");
		return 0;
	}
	if (found == -1 || addr_parse(back, strlen(back), &a, ADDR_UTF8) != 1 ||
	    addr_format(&r->addr, was, sizeof(was)) == -1) {
		error_reply(s, "550 5.1.1 <%s@%s>: %s", r->addr.local,
		    r->addr.domain, why != NULL ? why : "no such address");
		return 0;
	}
	log_info("session=%s srs rcpt=<%s> to=<%s>", s->sid, was, back);
	r->addr = a;
	return 1;
}

/*
 * relay_rcpt_known - an address of a relay domain must be in
 * control/relayrecipients when there is one, whoever the client: what
 * the next hop would refuse is refused now, not bounced later.
 * 1 to take it, 0 when refused (replied).
 */
static int
relay_rcpt_known(struct session *s, const struct rcpt_args *r,
    const char *plain)
{
	char sep;
	int found;

	if (local_extsep(&sep) == -1 ||
	    (found = relayrcpt_match(plain, r->addr.domain, sep)) == -1) {
		reply(s, "451 4.3.0 Temporary lookup failure, try again later");
		return 0;
	}
	if (found == 1)
		return 1;
	error_reply(s, "550 5.1.1 <%s@%s>: no such address here "
	    "(control/relayrecipients)", r->addr.local, r->addr.domain);
	return 0;
}

/*
 * rcpt_policy - may this recipient be accepted?  Returns 0 and replies
 * with the refusal, or 1.  Local domains (locals, me, virtualdomains):
 * the local part must exist, as lspawn would resolve it;
 * rcpthosts: accepted; else only a relay client, and never a local
 * part with % or ! (a relay through us by another name).
 */
static int
rcpt_policy(struct session *s, struct rcpt_args *r)
{
	char plain[ADDR_LOCAL_MAX + 1], prefix[VDOM_PREFIX_MAX + 1];
	int found;

	if (r->is_postmaster)
		return 1;
	if (addr_localpart_plain(&r->addr, plain, sizeof(plain)) == -1) {
		error_reply(s, "553 5.1.3 Bad recipient address syntax");
		return 0;
	}
	if (badrcpt(s, r))
		return 0;
	if ((found = srs_rcpt(s, r, plain)) != -1)
		return found;
	/* a virtual domain (control/virtualdomains) is as local as any */
	if ((found = local_domain(&s->set.locals, r->addr.domain, prefix,
	    sizeof(prefix))) == -1) {
		reply(s, "451 4.3.0 Temporary lookup failure, try again later");
		return 0;
	}
	if (found == 1) {
		if (strpbrk(plain, "%!@") != NULL) {
			error_reply(s, "550 5.7.1 Relaying denied");
			return 0;
		}
		if (strcasecmp(plain, "postmaster") == 0)
			return 1;
		found = local_mailbox(plain, prefix);
		if (found == 1)
			return 1;
		if (found == -1) {
			reply(s, "451 4.3.0 Temporary lookup failure, try "
			    "again later");
			return 0;
		}
		error_reply(s, "550 5.1.1 <%s@%s>: no mailbox here by that "
		    "name", r->addr.local, r->addr.domain);
		return 0;
	}
	found = rcpthosts_match(r->addr.domain);
	if (found == 1)
		return relay_rcpt_known(s, r, plain);
	if (found == -1 || s->may_relay == -1) {
		reply(s, "451 4.3.0 Temporary policy failure, try again later");
		return 0;
	}
	if (s->may_relay == 1 || s->authenticated)
		return 1;
	error_reply(s, "550 5.7.1 Relaying denied");
	return 0;
}

/* has_trailing_dot - "...domain.>": refused as a relay trick. */
static int
has_trailing_dot(const struct smtp_cmd *c)
{
	const char *gt = memchr(c->arg, '>', c->arglen);

	return gt != NULL && gt > c->arg && gt[-1] == '.';
}

/*
 * keep_rcpt - an accepted recipient, with its DSN requests (kept as
 * the client gave them when addr is rewritten, by SRS say), each list
 * an entry longer.  Replies and returns 0 when out of memory.
 */
static int
keep_rcpt(struct session *s, const char *addr, const struct dsn_rcpt *d)
{
	size_t had = s->rcpts.len, had_dsn = s->rcpt_dsn.len;

	if (sa_cats(&s->rcpts, addr) == -1 || sa_catc(&s->rcpts, '\0') == -1 ||
	    dsn_list_add(&s->rcpt_dsn, d) == -1) {
		/* both lists as they were: they must stay parallel */
		s->rcpts.len = had;
		s->rcpt_dsn.len = had_dsn;
		reply(s, "452 4.3.0 Out of memory");
		return 0;
	}
	return 1;
}

static void
do_rcpt(struct session *s, const struct smtp_cmd *c)
{
	struct rcpt_args r;
	char addr[ADDR_PATH_MAX + 1], line[POLICY_LINE_MAX];
	const char *why;
	int code;

	if (!in_transaction_order(s, STATE_MAIL))
		return;
	if ((long long)s->nrcpt >= s->set.maxrcpt) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (has_trailing_dot(c)) {
		error_reply(s, "550 5.7.1 Relaying denied");
		return;
	}
	code = cmd_parse_rcpt(c->arg, c->arglen, s->mail.smtputf8, &r, &why);
	if (code == ARGS_UNKNOWN) {
		error_reply(s, "555 5.5.4 %s", why);
		return;
	}
	if (code == ARGS_PARAM) {
		error_reply(s, "501 5.5.4 %s", why);
		return;
	}
	if (code != ARGS_OK) {
		error_reply(s, "%d 5.1.3 %s", code == ARGS_TOOLONG ? 553 : 501,
		    why);
		return;
	}
	if (session_dnsbl_refuses(s, 0)) {
		error_reply(s, "554 5.7.1 %s", s->dnsbl.text);
		return;
	}
	if (!rcpt_policy(s, &r))
		return;
	if (r.is_postmaster)
		snprintf(addr, sizeof(addr), "postmaster@%s", s->set.me.s);
	else if (addr_format(&r.addr, addr, sizeof(addr)) == -1) {
		error_reply(s, "553 5.1.3 Recipient address too long");
		return;
	}
	if ((code = session_policy_rcpt(s, addr, line, sizeof(line))) != 1) {
		if (code == 0)
			error_reply(s, "%s", line);
		else
			reply(s, "%s", line);
		return;
	}
	if (!keep_rcpt(s, addr, &r.dsn))
		return;
	s->nrcpt++;
	s->state = STATE_RCPT;
	reply(s, "250 2.1.5 Ok");
}

static void
do_data(struct session *s, const struct smtp_cmd *c)
{
	struct sa *out = &s->chunk;
	size_t used;
	int code, done = 0;

	if (c->arglen > 0) {
		error_reply(s, "501 5.5.4 DATA takes no argument");
		return;
	}
	if (!in_transaction_order(s, STATE_RCPT))
		return;
	if ((code = start_message(s)) != 0) {
		queued_reply(s, code);
		reset_transaction(s);
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	flush(s);
	while (!done) {
		if (s->in.pos == s->in.len)
			fill(s);
		done = data_feed(&s->data, s->in.p + s->in.pos,
		    s->in.len - s->in.pos, &used, out);
		s->in.pos += used;
		pump(s, out);
	}
	sa_free(out);
	end_message(s);
}

/* bdat_read - take exactly n octets of chunk into the message. */
static void
bdat_read(struct session *s, unsigned long long n, int keep)
{
	struct sa *out = &s->chunk;
	size_t take, used;

	while (n > 0) {
		if (s->in.pos == s->in.len)
			fill(s);
		take = s->in.len - s->in.pos;
		if (take > n)
			take = (size_t)n;
		if (keep) {
			(void)data_feed(&s->data, s->in.p + s->in.pos, take,
			    &used, out);
			pump(s, out);
		}
		s->in.pos += take;
		n -= take;
	}
	sa_free(out);
}

static void
do_bdat(struct session *s, const struct smtp_cmd *c)
{
	unsigned long long n;
	struct sa *out = &s->chunk;
	int last, code;

	if (cmd_parse_bdat(c->arg, c->arglen, &n, &last) == -1) {
		/* without a size the chunk cannot be skipped: end here */
		reply(s, "501 5.5.4 Syntax: BDAT size [LAST]");
		hang_up(s);
	}
	if (s->state != STATE_BDAT && s->state != STATE_RCPT) {
		/* out of order: the chunk first, so no reply comes before it */
		bdat_read(s, n, 0);
		(void)in_transaction_order(s, STATE_RCPT);
		return;
	}
	if (s->state != STATE_BDAT) {
		if ((code = start_message(s)) != 0) {
			bdat_read(s, n, 0);
			queued_reply(s, code);
			reset_transaction(s);
			return;
		}
		data_init(&s->data, 0, s->set.databytes);
		s->state = STATE_BDAT;
	}
	bdat_read(s, n, 1);
	if (!last) {
		reply(s, "250 2.0.0 %llu octets received", n);
		return;
	}
	data_end_chunks(&s->data, out);
	pump(s, out);
	sa_free(out);
	end_message(s);
}

static void
do_rset(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	reset_transaction(s);
	reply(s, "250 2.0.0 Ok");
}

static void
do_noop(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	reply(s, "250 2.0.0 Ok");
}

static void
do_quit(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	reply(s, "221 2.0.0 %s closing", s->set.me.s);
	hang_up(s);
}

static void
do_vrfy(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	reply(s, "252 2.5.2 Send some mail and I will try my best");
}

static void
do_expn(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	error_reply(s, "502 5.5.1 EXPN is not offered");
}

static void
do_help(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	reply(s, "214 2.0.0 qpost: see RFC 5321; commands: HELO EHLO MAIL "
	    "RCPT DATA BDAT RSET NOOP QUIT VRFY");
}

static void
do_unknown(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	error_reply(s, "500 5.5.2 Unrecognized command");
}

static const struct command commands[] = {
	{ VERB_HELO, do_helo },
	{ VERB_EHLO, do_ehlo },
	{ VERB_MAIL, do_mail },
	{ VERB_RCPT, do_rcpt },
	{ VERB_DATA, do_data },
	{ VERB_BDAT, do_bdat },
	{ VERB_RSET, do_rset },
	{ VERB_NOOP, do_noop },
	{ VERB_QUIT, do_quit },
	{ VERB_VRFY, do_vrfy },
	{ VERB_EXPN, do_expn },
	{ VERB_HELP, do_help },
	{ VERB_STARTTLS, do_starttls },
	{ VERB_AUTH, do_auth },
};

/* dispatch - run the handler of one command line (CRLF removed). */
static void
dispatch(struct session *s, const char *line, size_t n)
{
	struct smtp_cmd c;
	size_t i;

	if (cmd_parse(line, n, &c) == -1) {
		error_reply(s, "500 5.5.2 Syntax error: control character in "
		    "command");
		return;
	}
	if (s->state == STATE_BDAT && c.verb != VERB_BDAT &&
	    c.verb != VERB_RSET && c.verb != VERB_QUIT &&
	    c.verb != VERB_NOOP) {
		error_reply(s, "503 5.5.1 Finish BDAT with BDAT LAST first");
		return;
	}
	if (s->dnsbl_refused && c.verb != VERB_QUIT) {
		error_reply(s, "503 5.7.1 %s", s->dnsbl.text);
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].verb == c.verb) {
			commands[i].fn(s, &c);
			return;
		}
	do_unknown(s, &c);
}

/*
 * talked_first - control/greetdelay: wait that long before the
 * greeting.  A client must wait for it (RFC 5321 3.1, 4.3.1); many
 * spam engines do not, and talk at once.  1 when this one did (logged);
 * the session ends when it hangs up meanwhile.  Submission, implicit
 * TLS, local and relay clients are greeted at once.
 */
static int
talked_first(struct session *s)
{
	ssize_t r;

	if (s->set.greetdelay == 0 || s->is_local || s->needs_auth ||
	    s->implicit_tls || s->may_relay == 1)
		return 0;
	/* bytes after a balancer's PROXY header are already here */
	if (s->in.pos == s->in.len) {
		s->in.timeout = (int)s->set.greetdelay * 1000;
		if ((r = buf_fill(&s->in)) == -1 && errno == ETIMEDOUT)
			return 0;
		if (r <= 0)
			read_failed(s, (int)r);
	}
	log_info("session=%s ip=%s refused reason=talked_before_greeting "
	    "bytes=%zu", s->sid, s->ip, s->in.len - s->in.pos);
	return 1;
}

/* serve - greet, then one command after another until QUIT. */
static void __attribute__((noreturn))
serve(struct session *s)
{
	struct sa *line = &s->line;
	int r;

	if (s->implicit_tls) {
		/* RFC 8314: TLS from the first byte, the greeting inside */
		if (s->tls_ok != 1) {
			log_info("session=%s ip=%s closed reason=no_tls_"
			    "certificate", s->sid, s->ip);
			session_end();
		}
		if (stls_start(&s->tls, &s->in, &s->out, tls_wait(s), s->sid,
		    s->ip) == -1)
			session_end();
		s->tls_active = 1;
		log_info("session=%s ip=%s tls version=%s cipher=%s bits=%d%s",
		    s->sid, s->ip, stls_version(&s->tls), stls_cipher(&s->tls),
		    stls_bits(&s->tls), stls_sni(&s->tls));
	}
	if (talked_first(s)) {
		reply(s, "554 5.5.1 %s: talked before the greeting: closing",
		    s->set.me.s);
		hang_up(s);
	}
	/* RFC 5321 3.1: a 554 greeting, then 503 to all but QUIT */
	if ((s->dnsbl_refused = session_dnsbl_refuses(s, 1)))
		reply(s, "554 5.7.1 %s", s->dnsbl.text);
	else
		reply(s, "220 %s ESMTP qpost", s->set.me.s);
	for (;;) {
		/* replies wait while a whole command is queued behind them */
		if (memchr(s->in.p + s->in.pos, '\n', s->in.len - s->in.pos) ==
		    NULL)
			flush(s);
		set_timeout(s);
		r = buf_getline(&s->in, line, '\n', CMD_LINE_MAX);
		if (r == BUF_TOOLONG) {
			error_reply(s, "500 5.5.2 Line too long (over %d octets)",
			    CMD_LINE_MAX);
			continue;
		}
		if (r != BUF_LINE)
			read_failed(s, r == -1 ? -1 : 0);
		if (line->len < 2 || line->s[line->len - 2] != '\r') {
			error_reply(s, "500 5.5.2 Syntax error: lines must end "
			    "in CRLF, not a bare LF");
			continue;
		}
		dispatch(s, line->s, line->len - 2);
	}
}

/*
 * session_run - serve one session; it returns once the session has
 * ended (QUIT, EOF, an error, a failed handshake), having freed what
 * the session held.  The replies are out; smtpd's main then exits.
 */
void
session_run(struct session *s)
{
	if (sigsetjmp(session_done, 0) == 0)
		serve(s);
	sa_free(&s->line);
	sa_free(&s->chunk);
	sa_wipe(&s->authline);
	sa_free(&s->rcpts);
	sa_free(&s->rcpt_dsn);
	sa_free(&s->prepend);
	sa_free(&s->policy_redirect);
	sa_free(&s->policy_bcc);
	sa_free(&s->checked);
	content_free(&s->content);
}
