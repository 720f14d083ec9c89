/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * remote_smtp - one SMTP client session on a connected socket: EHLO
 * (HELO if refused), STARTTLS by the domain's policy, AUTH to a relay
 * that has credentials, then one transaction for every recipient that
 * has no answer yet, pipelined when the server offers PIPELINING, with
 * the sender's DSN requests when the server offers DSN.
 *
 * Every reply is read whole by smtp_reply_read within the RFC 5321
 * 4.5.3.2 timeout for its command, so a server that stalls, floods or
 * lies costs a bounded time and bounded memory.  The outcome goes into
 * the job (per recipient) and the attempt (whether the next host should
 * be tried): a session that fails before any recipient is answered
 * moves on to the next host; after that, answers are final.
 */
#include <sys/stat.h>
#include <errno.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mime7.h"
#include "remote.h"
#include "smtp_dot.h"
#include "smtp_reply.h"
#include "tlsio.h"

/* RFC 5321 4.5.3.2, in seconds */
#define T_GREETING	300
#define T_EHLO		300
#define T_MAIL		300
#define T_RCPT		300
#define T_DATA		120
#define T_BLOCK		180
#define T_FINAL		600
#define T_QUIT		10

struct session {
	const struct remote_cfg		*c;
	const struct remote_route	*rt;
	struct remote_job		*j;
	struct remote_attempt		*at;
	int				 fd;
	struct buf			 in, out;
	char				 instore[4096], outstore[16384];
	struct smtp_reply		 r;
	struct smtp_ext			 ext;
	struct tls			*tls;
	int				*sent;	/* RCPT TO for it in this session */
	int				*ok;	/* its RCPT TO was accepted */
	struct sa			 notify;	/* NOTIFY's value */
	int				 is_seven;	/* send j->seven */
	char				 where[DNS_NAME_MAX + 80];
};

/* timeout_ms - a command's timeout, or control/timeoutremote's. */
static int
timeout_ms(const struct session *s, int rfc)
{
	return (s->c->timeout_all > 0 ? s->c->timeout_all : rfc) * 1000;
}

/* said - result text for a reply: "5.1.1 host[ip] said: 550 ... (cmd)" */
static void
said(struct session *s, const char *cmd, char *out, size_t size)
{
	char line[512], code[16];	/* line: the start says enough */

	smtp_reply_dsn(&s->r, code, sizeof(code));
	smtp_reply_oneline(&s->r, line, sizeof(line));
	(void)snprintf(out, size, "%s %s said: %s (in reply to %s)", code,
	    s->where, line, cmd);
}

/*
 * status_of - K for 2xx, D for 5xx, Z for the rest: 4xx, and a 3xx
 * where none belongs (a confused server may do better later).
 */
static char
status_of(int code)
{
	return code >= 200 && code < 300 ? SPAWN_OK : code >= 500 ?
	    SPAWN_PERM : SPAWN_TEMP;
}

/*
 * move_on - every open recipient gets status with the text, and the
 * next host is tried (remote_set leaves answered recipients alone).
 */
static void
move_on(struct session *s, char status, const char *fmt, va_list ap)
{
	char text[SPAWN_TEXT_MAX];
	size_t i;

	(void)vsnprintf(text, sizeof(text), fmt, ap);
	for (i = 0; i < s->j->nrcpt; i++)
		remote_set(s->j, i, status, 0, "%s", text);
	s->at->is_next = 1;
}

/*
 * give_up - the session ends before any recipient was answered: every
 * open recipient gets a temporary result and the next host is tried.
 */
static void __attribute__((format(printf, 2, 3)))
give_up(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	move_on(s, SPAWN_TEMP, fmt, ap);
	va_end(ap);
}

/* lost - words for a failed read of a reply. */
static void
lost(struct session *s, int r, const char *cmd)
{
	if (r == SMTP_R_TIMEOUT && strcmp(cmd, "the greeting") == 0)
		s->at->timed_out = 1;
	give_up(s, "4.4.2 %s: %s (waiting for the reply to %s)", s->where,
	    smtp_reply_strerror(r), cmd);
}

/* command - send a line (CRLF added) and flush it. */
static int
command(struct session *s, const char *line)
{
	s->out.timeout = timeout_ms(s, T_BLOCK);
	if (buf_puts(&s->out, line) == -1 || buf_puts(&s->out, "\r\n") == -1 ||
	    buf_flush(&s->out) == -1)
		return -1;
	return 0;
}

/* reply - read one reply; its code, or an SMTP_R_* error. */
static int
reply(struct session *s, int rfc_timeout)
{
	return smtp_reply_read(&s->in, &s->r, timeout_ms(s, rfc_timeout));
}

/*
 * step - send cmd, read its reply; the code, or 0 after give_up() when
 * the connection failed.
 */
static int
step(struct session *s, const char *cmd, const char *what, int t)
{
	int code;

	if (command(s, cmd) == -1) {
		give_up(s, "4.4.2 %s: connection lost sending %s: %s",
		    s->where, what, strerror(errno));
		return 0;
	}
	if ((code = reply(s, t)) < 0) {
		lost(s, code, what);
		return 0;
	}
	return code;
}

/* greet - the greeting and EHLO (HELO if EHLO is refused). 0 or -1. */
static int
greet(struct session *s)
{
	char line[ADDR_DOMAIN_MAX + 8], text[SPAWN_TEXT_MAX];
	int code;

	(void)snprintf(line, sizeof(line), "EHLO %s", s->c->helo);
	memset(&s->ext, 0, sizeof(s->ext));
	if ((code = step(s, line, "EHLO", T_EHLO)) == 0)
		return -1;
	if (code >= 500) {
		(void)snprintf(line, sizeof(line), "HELO %s", s->c->helo);
		if ((code = step(s, line, "HELO", T_EHLO)) == 0)
			return -1;
	} else if (code < 300)
		smtp_ehlo_parse(&s->r, &s->ext);
	if (code >= 300) {
		said(s, "EHLO/HELO", text, sizeof(text));
		give_up(s, "%s", text);
		return -1;
	}
	return 0;
}

/*
 * need_tls - what forbids going on without TLS: the policy, or the
 * host's TLSA records (RFC 7672 2.2); NULL when nothing does.
 */
static const char *
need_tls(const struct session *s)
{
	if (s->c->tls_policy == TLS_ENCRYPT || s->c->tls_policy == TLS_VERIFY)
		return "control/tlsdestinations";
	if (s->at->host->dane != DANE_NONE)
		return "DANE (its TLSA records)";
	if (s->at->host->sts == STS_ENFORCE)
		return "MTA-STS (the domain's policy)";
	return NULL;
}

/* verifies - whether the certificate must chain to a CA and name host */
static int
verifies(const struct session *s)
{
	return s->c->tls_policy == TLS_VERIFY ||
	    s->at->host->sts == STS_ENFORCE;
}

/*
 * dane_check - a host with usable TLSA records must show a certificate
 * that one of them matches.  0 to go on, -1 when the session is over.
 */
static int
dane_check(struct session *s)
{
	const char *why;

	if (s->at->host->dane != DANE_AUTH)
		return 0;
	if (remote_dane_match(s->tls, s->at->host, &s->at->dane_usage,
	    &why) == -1) {
		give_up(s, "4.7.5 %s: DANE: %s", s->where, why);
		return -1;
	}
	s->at->is_verified = 1;
	return 0;
}

/*
 * starttls - STARTTLS when offered (and the policy allows), then EHLO
 * again over TLS.  0 to go on, -1 when the session is over.
 */
static int
starttls(struct session *s)
{
	const char *why, *host = s->at->host->name, *need = need_tls(s);
	int code;

	if (s->c->tls_policy == TLS_NONE)
		return 0;
	if (!s->ext.starttls) {
		if (need == NULL)
			return 0;
		give_up(s, "4.7.4 %s did not offer STARTTLS, which "
		    "%s requires for %s", s->where, need, s->j->domain);
		return -1;
	}
	if ((code = step(s, "STARTTLS", "STARTTLS", T_EHLO)) == 0)
		return -1;
	if (code != 220) {
		if (need == NULL)
			return 0;	/* RFC 3207 4.1: go on in clear */
		give_up(s, "4.7.4 %s refused STARTTLS (%d), which "
		    "%s requires", s->where, code, need);
		return -1;
	}
	/* what a hostile server queued before the handshake is not TLS */
	if (s->in.pos < s->in.len) {
		give_up(s, "4.7.0 %s sent data after its STARTTLS reply",
		    s->where);
		return -1;
	}
	s->tls = remote_tls_start(s->c, host, s->fd, &s->in, &s->out,
	    timeout_ms(s, T_EHLO) / 1000, verifies(s), &why);
	if (s->tls == NULL) {
		give_up(s, "4.7.5 %s: TLS handshake failed: %s", s->where, why);
		return -1;
	}
	(void)snprintf(s->at->tls, sizeof(s->at->tls), "%s",
	    tls_conn_version(s->tls) != NULL ? tls_conn_version(s->tls) :
	    "TLS");
	s->at->is_verified = verifies(s);
	if (dane_check(s) == -1)
		return -1;
	return greet(s);
}

/*
 * auth_plain - AUTH PLAIN with the initial response (RFC 4616): the
 * reply's code, or 0 when the session is over.
 */
static int
auth_plain(struct session *s)
{
	char raw[600], b64[820], line[840];
	size_t ul, pl;
	int code, n;

	ul = strlen(s->rt->auth_user);
	pl = strlen(s->rt->auth_pass);
	raw[0] = '\0';
	memcpy(raw + 1, s->rt->auth_user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, s->rt->auth_pass, pl);
	n = b64_ntop((unsigned char *)raw, 2 + ul + pl, b64, sizeof(b64));
	explicit_bzero(raw, sizeof(raw));
	if (n < 0)
		return (give_up(s, "4.3.0 credentials too long"), 0);
	(void)snprintf(line, sizeof(line), "AUTH PLAIN %s", b64);
	explicit_bzero(b64, sizeof(b64));
	code = step(s, line, "AUTH", T_EHLO);
	explicit_bzero(line, sizeof(line));
	return code;
}

/*
 * login_send - one of AUTH LOGIN's answers, in base64 on a line of its
 * own: the reply's code, or 0 when the session is over.
 */
static int
login_send(struct session *s, const char *answer)
{
	char b64[400];
	int code;

	if (b64_ntop((const unsigned char *)answer, strlen(answer), b64,
	    sizeof(b64)) < 0)
		return (give_up(s, "4.3.0 credentials too long"), 0);
	code = step(s, b64, "AUTH", T_EHLO);
	explicit_bzero(b64, sizeof(b64));
	return code;
}

/*
 * auth_login - AUTH LOGIN, for servers that offer no PLAIN (Microsoft's
 * among them): the user name and the password each after a 334
 * challenge, whatever it says.  The reply's code, or 0 when over.
 */
static int
auth_login(struct session *s)
{
	int code;

	if ((code = step(s, "AUTH LOGIN", "AUTH", T_EHLO)) != 334)
		return code;
	if ((code = login_send(s, s->rt->auth_user)) != 334)
		return code;
	return login_send(s, s->rt->auth_pass);
}

/*
 * authenticate - AUTH PLAIN, else AUTH LOGIN, to a relay with
 * credentials in control/smtpauth, over TLS only.  0 to go on, -1 when
 * over.
 */
static int
authenticate(struct session *s)
{
	char text[SPAWN_TEXT_MAX];
	int code;

	if (!s->rt->has_auth || !s->at->host->is_relay)
		return 0;
	if (s->tls == NULL) {
		give_up(s, "4.7.0 %s: not sending the control/smtpauth "
		    "password without TLS", s->where);
		return -1;
	}
	if (!s->ext.auth_plain && !s->ext.auth_login) {
		give_up(s, "4.7.0 %s offers neither AUTH PLAIN nor AUTH LOGIN",
		    s->where);
		return -1;
	}
	code = s->ext.auth_plain ? auth_plain(s) : auth_login(s);
	if (code == 0)
		return -1;
	if (code != 235) {
		/* a wrong password is the admin's to fix: keep the mail */
		said(s, "AUTH", text, sizeof(text));
		give_up(s, "4.7.8 %s", text + strcspn(text, " ") + 1);
		s->at->is_next = 0;
		return -1;
	}
	return 0;
}

/*
 * refuse - the server cannot take this message: permanent, unless a
 * later host (a backup MX, or the primary next time) can.
 */
static int __attribute__((format(printf, 2, 3)))
refuse(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	move_on(s, SPAWN_PERM, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * load - the whole message file into m: 0; -1 when it cannot be read;
 * -2 when it is over REMOTE_SEVEN_MAX.
 */
static int
load(int fd, struct sa *m)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_size > REMOTE_SEVEN_MAX)
		return -2;
	if (sa_ready(m, (size_t)st.st_size) == -1)
		return -1;
	while (m->len < (size_t)st.st_size && (n = pread(fd, m->s + m->len,
	    (size_t)st.st_size - m->len, (off_t)m->len)) > 0)
		m->len += (size_t)n;
	return m->len == (size_t)st.st_size ? 0 : -1;
}

/* convert - j->seven made once for all the job's hosts (mime7.h) */
static int
convert(struct remote_job *j)
{
	struct sa m = SA_INIT;
	size_t i;
	int r;

	if ((r = load(j->msgfd, &m)) == -1) {
		sa_free(&m);
		return -1;
	}
	if (r == -2)
		j->seven_why = "it is larger than the 64 MiB converted in memory";
	else
		r = mime7_convert(m.s, m.len, &j->seven, &j->seven_why);
	sa_free(&m);
	if (r == -1)
		return -1;
	j->seven_size = j->seven.len;
	for (i = 0; i < j->seven.len; i++)
		j->seven_size += j->seven.s[i] == '\n';	/* becomes CRLF */
	j->seven_tried = 1;
	return 0;
}

/*
 * seven_bit - RFC 6152 3: a message with 8-bit content goes to a server
 * without 8BITMIME made 7-bit, or is refused (a later host may offer
 * it).  0, or -1 with the results set.
 */
static int
seven_bit(struct session *s)
{
	if (!s->j->seven_tried && convert(s->j) == -1) {
		give_up(s, "4.3.0 unable to read the message to make it "
		    "7-bit for %s: %s", s->where, strerror(errno));
		return -1;
	}
	if (s->j->seven_why != NULL)
		return refuse(s, "5.6.3 %s does not support 8BITMIME and the "
		    "message cannot be made 7-bit: %s", s->where,
		    s->j->seven_why);
	s->is_seven = s->at->is_seven = 1;
	return 0;
}

/* wire_size - what will be sent: the message, or its 7-bit form */
static unsigned long long
wire_size(const struct session *s)
{
	return s->is_seven ? s->j->seven_size : s->j->msgsize;
}

/*
 * can_carry - refuse what the server cannot take (RFC 6531 3.4, RFC
 * 1870 6) rather than send what it may mangle, and make 8-bit content
 * 7-bit for a server that needs it (RFC 6152 3).
 */
static int
can_carry(struct session *s)
{
	if (s->j->is_utf8 && !s->ext.smtputf8)
		return refuse(s, "5.6.7 %s does not support SMTPUTF8, which "
		    "the non-ASCII addresses need", s->where);
	if (s->j->is_8bit && !s->ext.eightbitmime && seven_bit(s) == -1)
		return -1;
	if (s->ext.has_size && s->ext.size > 0 &&
	    wire_size(s) > s->ext.size)
		return refuse(s, "5.3.4 message size %llu exceeds the limit "
		    "of %s (%llu)", wire_size(s), s->where, s->ext.size);
	return 0;
}

/*
 * put_mail - MAIL FROM with its parameters into the buffer; RET and
 * ENVID only to a server that offers DSN (RFC 3461 5.2.1, 5.2.2).
 */
static int
put_mail(struct session *s)
{
	char line[ADDR_PATH_MAX + 80 + sizeof(" RET=HDRS ENVID=") +
	    DSN_ENVID_MAX];
	const struct dsn_msg *d = &s->j->dsn;

	(void)snprintf(line, sizeof(line), "MAIL FROM:<%s>", s->j->sender);
	if (s->ext.has_size)
		(void)snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    " SIZE=%llu", wire_size(s));
	if (s->j->is_8bit && !s->is_seven)
		(void)strlcat(line, " BODY=8BITMIME", sizeof(line));
	if (s->j->is_utf8)
		(void)strlcat(line, " SMTPUTF8", sizeof(line));
	if (s->ext.dsn && d->ret != 0)
		(void)strlcat(line, d->ret == DSN_RET_HDRS ? " RET=HDRS" :
		    " RET=FULL", sizeof(line));
	if (s->ext.dsn && d->envid[0] != '\0') {
		(void)strlcat(line, " ENVID=", sizeof(line));
		(void)strlcat(line, d->envid, sizeof(line));
	}
	return buf_puts(&s->out, line) == -1 || buf_puts(&s->out, "\r\n") ==
	    -1 ? -1 : 0;
}

/*
 * put_rcpt_dsn - recipient i's NOTIFY and ORCPT, those it asked for,
 * into the buffer, to a server that offers DSN.
 */
static int
put_rcpt_dsn(struct session *s, size_t i)
{
	const struct dsn_rcpt *d;

	if (!s->ext.dsn || s->j->rcpt_dsn == NULL)
		return 0;
	d = &s->j->rcpt_dsn[i];
	if (d->notify != 0) {
		s->notify.len = 0;
		if (dsn_notify_smtp(d->notify, &s->notify) == -1 ||
		    sa_0(&s->notify) == -1)
			die(EXIT_TEMP, "unable to allocate");
		if (buf_puts(&s->out, " NOTIFY=") == -1 ||
		    buf_puts(&s->out, s->notify.s) == -1)
			return -1;
	}
	if (d->orcpt[0] != '\0' && (buf_puts(&s->out, " ORCPT=") == -1 ||
	    buf_puts(&s->out, d->orcpt) == -1))
		return -1;
	return 0;
}

/* put_rcpt - RCPT TO for recipient i into the buffer. */
static int
put_rcpt(struct session *s, size_t i)
{
	return buf_puts(&s->out, "RCPT TO:<") == -1 ||
	    buf_puts(&s->out, s->j->rcpt[i]) == -1 ||
	    buf_puts(&s->out, ">") == -1 || put_rcpt_dsn(s, i) == -1 ||
	    buf_puts(&s->out, "\r\n") == -1 ? -1 : 0;
}

/* put_failed - a buffered write failed (flushing a full buffer). */
static int
put_failed(struct session *s, const char *what)
{
	give_up(s, "4.4.2 %s: connection lost sending %s: %s", s->where,
	    what, strerror(errno));
	return 0;
}

/* flush_out - send what is buffered; give_up() on failure. */
static int
flush_out(struct session *s, const char *what)
{
	s->out.timeout = timeout_ms(s, T_BLOCK);
	if (buf_flush(&s->out) == 0)
		return 0;
	give_up(s, "4.4.2 %s: connection lost sending %s: %s", s->where,
	    what, strerror(errno));
	return -1;
}

/*
 * rcpt_reply - read the reply to recipient i's RCPT TO; its result
 * unless accepted.  Returns 1 when accepted; *is_lost is set when the
 * connection failed.
 */
static size_t
rcpt_reply(struct session *s, size_t i, int *is_lost)
{
	char text[SPAWN_TEXT_MAX];
	int code;

	if ((code = reply(s, T_RCPT)) < 0) {
		lost(s, code, "RCPT TO");
		*is_lost = 1;
		return 0;
	}
	if (code >= 200 && code < 300) {
		s->ok[i] = 1;
		return 1;
	}
	said(s, "RCPT TO", text, sizeof(text));
	remote_set(s->j, i, status_of(code),
	    1, "%s", text);
	return 0;
}

/*
 * mail_step - MAIL FROM; pipelined (RFC 2920), also every open RCPT TO
 * and DATA in the same write.  Returns 1 when MAIL was accepted.
 */
static int
mail_step(struct session *s, int is_pipe)
{
	char text[SPAWN_TEXT_MAX];
	size_t i;
	int code;

	if (put_mail(s) == -1)
		return put_failed(s, "MAIL FROM");
	for (i = 0; is_pipe && i < s->j->nrcpt; i++) {
		if (s->j->is_final[i])
			continue;
		s->sent[i] = 1;
		if (put_rcpt(s, i) == -1)
			return put_failed(s, "RCPT TO");
	}
	if (is_pipe && buf_puts(&s->out, "DATA\r\n") == -1)
		return put_failed(s, "DATA");
	if (flush_out(s, is_pipe ? "the envelope" : "MAIL FROM") == -1)
		return 0;
	if ((code = reply(s, T_MAIL)) < 0)
		return (lost(s, code, "MAIL FROM"), 0);
	if (code < 300)
		return 1;
	said(s, "MAIL FROM", text, sizeof(text));
	if (code >= 500)
		remote_set_all(s->j, SPAWN_PERM, "%s", text);
	else
		give_up(s, "%s", text);
	return 0;
}

/*
 * rcpt_steps - the RCPT replies (each after its command unless
 * pipelined).  Returns how many were accepted, or -1 when the
 * connection failed.
 */
static long
rcpt_steps(struct session *s, int is_pipe)
{
	size_t i, naccepted = 0;
	int is_lost = 0;

	for (i = 0; i < s->j->nrcpt && !is_lost; i++) {
		if (is_pipe ? !s->sent[i] : s->j->is_final[i])
			continue;
		if (!is_pipe && put_rcpt(s, i) == -1) {
			(void)put_failed(s, "RCPT TO");
			return -1;
		}
		if (!is_pipe && flush_out(s, "RCPT TO") == -1)
			return -1;
		s->sent[i] = 1;
		naccepted += rcpt_reply(s, i, &is_lost);
	}
	return is_lost ? -1 : (long)naccepted;
}

/*
 * data_step - DATA's reply (DATA itself sent here unless pipelined).
 * Returns 1 when the server waits for the message.
 */
static int
data_step(struct session *s, int is_pipe, long naccepted)
{
	char text[SPAWN_TEXT_MAX];
	size_t i;
	int code;

	if (!is_pipe && buf_puts(&s->out, "DATA\r\n") == -1)
		return put_failed(s, "DATA");
	if (!is_pipe && flush_out(s, "DATA") == -1)
		return 0;
	if ((code = reply(s, T_DATA)) < 0)
		return (lost(s, code, "DATA"), 0);
	if (code == 354 && naccepted > 0)
		return 1;
	if (code == 354) {	/* pipelined, nothing accepted: end it empty */
		(void)buf_puts(&s->out, ".\r\n");
		(void)flush_out(s, "the end of data");
		(void)reply(s, T_FINAL);
		return 0;
	}
	said(s, "DATA", text, sizeof(text));
	for (i = 0; i < s->j->nrcpt; i++)
		if (s->ok[i])
			remote_set(s->j, i, status_of(code), 1, "%s", text);
	return 0;
}

/*
 * envelope - MAIL, RCPTs and DATA, pipelined (RFC 2920) when offered,
 * else in turn.  Returns 1 when the server waits for the message
 * (354), 0 when the session is over.
 */
static int
envelope(struct session *s)
{
	int is_pipe = s->ext.pipelining;
	long naccepted;

	if (!mail_step(s, is_pipe))
		return 0;
	if ((naccepted = rcpt_steps(s, is_pipe)) == -1)
		return 0;
	if (!is_pipe && naccepted == 0)
		return 0;
	return data_step(s, is_pipe, naccepted);
}

/*
 * put_body - the message, from its start, as DATA (smtp_dot.h), then
 * ".".  Returns 0, -1 (connection), -2 (file).
 */
static int
put_body(struct session *s)
{
	struct smtp_dot d;
	int r;

	smtp_dot_init(&d);
	if (s->is_seven)
		r = smtp_dot_put(&d, &s->out, s->j->seven.s, s->j->seven.len);
	else
		r = smtp_dot_file(&d, &s->out, s->j->msgfd);
	if (r != 0)
		return r;
	return smtp_dot_end(&d, &s->out);
}

/* message - the body and the final reply, for the accepted recipients. */
static void
message(struct session *s)
{
	char text[SPAWN_TEXT_MAX];
	size_t i;
	int r, code;

	s->out.timeout = timeout_ms(s, T_BLOCK);
	if ((r = put_body(s)) != 0 || buf_flush(&s->out) == -1) {
		for (i = 0; i < s->j->nrcpt; i++)
			if (s->ok[i])
				remote_set(s->j, i, SPAWN_TEMP, 1, r == -2 ?
				    "4.3.0 unable to read the message file" :
				    "4.4.2 %s: connection lost sending the "
				    "message: %s", s->where, strerror(errno));
		return;
	}
	code = reply(s, T_FINAL);
	if (code < 0) {
		for (i = 0; i < s->j->nrcpt; i++)
			if (s->ok[i])
				remote_set(s->j, i, SPAWN_TEMP, 1, "4.4.2 %s: "
				    "%s after the message was sent (it may "
				    "arrive twice)", s->where,
				    smtp_reply_strerror(code));
		return;
	}
	said(s, "end of data", text, sizeof(text));
	for (i = 0; i < s->j->nrcpt; i++)
		if (s->ok[i]) {
			remote_set(s->j, i, status_of(code), 1, "%s", text);
			/* RFC 3461 5.2.1: its notices are the server's now */
			s->j->st[i].dsn_passed = s->ext.dsn &&
			    s->j->st[i].status == SPAWN_OK;
		}
}

/* session - everything after connecting; results are in the job. */
static void
session(struct session *s)
{
	char text[SPAWN_TEXT_MAX];
	int code;

	if ((code = reply(s, T_GREETING)) < 0) {
		lost(s, code, "the greeting");
		return;
	}
	if (code != 220) {
		said(s, "the greeting", text, sizeof(text));
		give_up(s, "%s", text);
		return;
	}
	if (greet(s) == -1 || starttls(s) == -1 || authenticate(s) == -1)
		return;
	if (can_carry(s) == -1)
		return;
	if (envelope(s) == 1)
		message(s);
	remote_report_final(s->j);
	if (command(s, "QUIT") == 0)
		(void)smtp_reply_read(&s->in, &s->r, timeout_ms(s, T_QUIT));
}

/*
 * remote_smtp - one session with the host at->host, connected on fd
 * (closed here).  Results go into j; at says how it went.
 */
void
remote_smtp(const struct remote_cfg *c, const struct remote_route *rt,
    struct remote_job *j, int fd, struct remote_attempt *at)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sent = calloc(j->nrcpt, sizeof(int))) == NULL ||
	    (s->ok = calloc(j->nrcpt, sizeof(int))) == NULL)
		die(EXIT_TEMP, "unable to allocate a session");
	s->c = c;
	s->rt = rt;
	s->j = j;
	s->at = at;
	s->fd = fd;
	(void)snprintf(s->where, sizeof(s->where), "%s[%s]", at->host->name,
	    at->ip);
	buf_init(&s->in, fd, s->instore, sizeof(s->instore));
	buf_init(&s->out, fd, s->outstore, sizeof(s->outstore));
	buf_transport(&s->in, tlsio_plain, NULL);
	buf_transport(&s->out, tlsio_plain, NULL);
	smtp_reply_init(&s->r);
	session(s);
	remote_tls_end(s->tls, fd);
	close(fd);
	sa_free(&s->notify);
	free(s->sent);
	free(s->ok);
	free(s);
}
