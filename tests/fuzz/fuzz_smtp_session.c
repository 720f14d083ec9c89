/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * fuzz_smtp_session - libFuzzer target for smtpd's session state machine
 * (smtpd/smtpd_session.c): the input is a whole client conversation,
 * after two octets that choose the session's settings (see struct cfg).
 * It is read through smtpd's own buf, over a memory transport that
 * hands it out in pieces of a chosen size; session_run returns when the
 * session ends (QUIT, EOF, too many errors, a failed handshake).  What
 * smtpd would reach outside is stubbed here: qinject (qjob_*: the
 * message is recorded, not queued), TLS (stls_*: no encryption, the
 * handshake succeeds or fails as configured), qpauth (auth_check) and
 * the policy lookups (local users, rcpthosts, senders, free space).
 *
 * Then a model walks the input and the replies side by side, command
 * by command (pipelined ones too), and checks: every reply line is
 * "ddd" 2xx-5xx, '-' or ' ', printable text, CRLF, within 512 octets,
 * lines of one reply share their code; each command gets exactly one
 * reply, written only once the whole command (a BDAT's chunk included)
 * had been read, and nothing answers a line cut short by EOF; what a
 * reply may be in each state (no 250 to MAIL out of order, to RCPT
 * beyond control/maxrcpt, no 354 without an accepted RCPT, STARTTLS
 * throws away what was pipelined behind it, 421 exactly when the
 * errors reach control/maxerrors); a message reaches qjob_finish only
 * after a 354 and the final dot (or BDAT LAST), is exactly smtpd's
 * Received: line and the DATA un-dot-stuffed with LF line ends, with the
 * sender and recipients accepted and the DSN requests (RET, ENVID,
 * NOTIFY, ORCPT) of that MAIL and those RCPTs, an entry for each
 * recipient, whose trailer parses back to them; EHLO offers DSN; a
 * message the rules refuse (bare CR
 * or LF, NUL, long line, size, loop) is never finished; 250 after the
 * data only when qinject said 0.  Memory: the session's buffers stay
 * within their limits.  A broken property aborts, which libFuzzer and
 * replay report.
 *
 * smtpd_session.c is compiled into this file, with five of its calls
 * renamed to the stubs below: the real auth_check, rcpthosts_match,
 * sender_allowed, relayrcpt_match and local_extsep are in objects every
 * fuzz target links.
 */
/* the fuzz build searches send/ before lookup/, which has local.h too;
   local_extsep renamed before it declares it */
#define local_extsep	fuzz_local_extsep
#include "../../lookup/local.h"

#define auth_check	fuzz_auth_check
#define rcpthosts_match	fuzz_rcpthosts_match
#define sender_allowed	fuzz_sender_allowed
#define relayrcpt_match	fuzz_relayrcpt_match
#include "smtpd_session.c"
#include "smtpd_verify.c"	/* the QPOST_VERIFY_* names and 550 replies */
#include "smtpd_checks.c"	/* with no table: the stream unchanged */
#include "smtpd_sender.c"	/* with its knobs at 0: no DNS */
#include "smtpd_client.c"	/* never asked: no DNS either */
#include "smtpd_access.c"	/* with no rule: nothing refused */
#undef auth_check
#undef rcpthosts_match
#undef sender_allowed
#undef relayrcpt_match
#undef local_extsep

#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x)	do { if (!(x)) { fprintf(stderr, \
	"fuzz_smtp_session: property broken: %s (line %d)\n", #x, \
	__LINE__); abort(); } } while (0)

#define INPUT_MAX	65536	/* octets of conversation looked at */
#define REPLY_LINE_MAX	512	/* octets, CRLF included (4.5.3.1.5) */
#define FAKE_PID	4242	/* a qjob's pid while the stub holds it */
#define RECEIVED_MAX	1024	/* octets of smtpd's Received: line */

/*
 * The settings, from the first two input octets.
 * Octet 0: bits 0-1 databytes (none, 64, 2000, 100000); bit 2 maxrcpt
 * (3 or 100); bit 3 maxerrors (5 or 1000); bits 4-5 TLS (no
 * certificate, one, a broken one, implicit TLS); bit 6 the handshake
 * fails; bit 7 -a (AUTH before MAIL).
 * Octet 1: bits 0-2 the transport's piece size (all there is, 1, 2, 3,
 * 7, 64, 500, 4096); bit 3 a relay client; bits 4-5 qinject's exit at
 * the end (0, 0, 53 disk full, 31 refused); bit 6 qinject fails to
 * start (71); bit 7 the queue is below control/queueminfree.
 */
struct cfg {
	unsigned long long	 databytes;
	long long		 maxrcpt, maxerrors;
	int			 tls_ok, implicit, tls_fails, needs_auth;
	size_t			 piece;
	int			 may_relay, finish_code, start_fails, low_space;
};

static struct cfg	 cfg;
static struct session	 sess;

/* ---- the memory transport ------------------------------------------ */

struct wrote {			/* one write: the output so far, when */
	size_t	 outlen;	/* output octets after it */
	size_t	 inoff;		/* input octets handed out before it */
};

static struct {
	const char	*in;
	size_t		 inlen, off;
	struct sa	 out;		/* all smtpd wrote */
	struct sa	 writes;	/* struct wrote, one per write */
	size_t		 wcur;		/* written_at's place in writes */
	size_t		 tls_at;	/* input offset at the handshake */
	int		 tls_calls;
} wire;

static ssize_t
mem_io(void *ctx, int fd, void *p, size_t n, int writing)
{
	struct wrote w;

	(void)ctx;
	(void)fd;
	if (writing) {
		CHECK(sa_catb(&wire.out, p, n) == 0);
		w.outlen = wire.out.len;
		w.inoff = wire.off;
		CHECK(sa_catb(&wire.writes, &w, sizeof(w)) == 0);
		return (ssize_t)n;
	}
	if (cfg.piece != 0 && n > cfg.piece)
		n = cfg.piece;
	if (n > wire.inlen - wire.off)
		n = wire.inlen - wire.off;
	memcpy(p, wire.in + wire.off, n);
	wire.off += n;
	return (ssize_t)n;
}

/*
 * written_at - input octets handed out when output octet end-1 went.
 * Asked in output order, so the search goes on from the last answer.
 */
static size_t
written_at(size_t end)
{
	const struct wrote *w = (const struct wrote *)(void *)wire.writes.s;
	size_t n = wire.writes.len / sizeof(*w);

	if (wire.wcur > 0 && w[wire.wcur - 1].outlen >= end)
		wire.wcur = 0;		/* asked out of order: start over */
	for (; wire.wcur < n; wire.wcur++)
		if (w[wire.wcur].outlen >= end)
			return w[wire.wcur].inoff;
	CHECK(!"reply not written");
	return 0;
}

/* ---- the stubs: qinject --------------------------------------------- */

struct msg {			/* one qjob_start, as the stub saw it */
	int		 start_code;
	int		 finished, aborted, code;
	struct sa	 body;		/* what qjob_write got */
	struct sa	 sender;
	struct sa	 rcpts;		/* NUL-terminated, back to back */
	size_t		 nrcpt;
	struct dsn_msg	 dsn;		/* MAIL's RET and ENVID */
	struct sa	 rcpt_dsn;	/* the RCPTs' requests, as a list */
	char		 id[QID_LEN + 1];
};

#define MSGS_MAX	2048
static struct msg	 msgs[MSGS_MAX];
static size_t		 nmsgs;
static struct msg	*active;

/* bounded - the session's own buffers stay within their limits. */
static void
bounded(void)
{
	CHECK(sess.line.a <= 2 * CMD_LINE_MAX + 64);
	CHECK(sess.authline.a <= 2 * (AUTH_B64_MAX + 2) + 64);
	CHECK(sess.chunk.a <= 2 * sizeof(sess.inbuf) + 64);
	CHECK(sess.rcpts.len <= (size_t)cfg.maxrcpt * (ADDR_PATH_MAX + 1));
	CHECK(sess.rcpt_dsn.len <= (size_t)cfg.maxrcpt *
	    (DSN_LETTERS_MAX + DSN_ORCPT_MAX + 2));
	CHECK(sess.in.len <= sess.in.size && sess.out.len <= sess.out.size);
}

int
qjob_start(struct qjob *j, int is_utf8)
{
	struct msg *m;

	(void)is_utf8;
	CHECK(active == NULL);
	CHECK(nmsgs < MSGS_MAX);
	bounded();
	memset(j, 0, sizeof(*j));
	m = &msgs[nmsgs++];
	memset(m, 0, sizeof(*m));
	if (cfg.start_fails)
		return m->start_code = QI_TEMPREFUSED;
	j->pid = FAKE_PID;
	snprintf(j->id, sizeof(j->id), "%016zu", nmsgs);
	memcpy(m->id, j->id, sizeof(m->id));
	active = m;
	return 0;
}

void
qjob_write(struct qjob *j, const char *p, size_t n)
{
	CHECK(active != NULL && j->pid == FAKE_PID);
	CHECK(sa_catb(&active->body, p, n) == 0);
	/* the Received: line, then at most databytes of the message */
	if (cfg.databytes > 0)
		CHECK(active->body.len <= RECEIVED_MAX + cfg.databytes);
	bounded();
}

/*
 * dsn_ok - one request of each recipient in list, each one valid, and
 * the trailer they make parses back to them (but for the recipients
 * at the end that asked for nothing, which the trailer leaves out).
 */
static void
dsn_ok(const struct dsn_msg *dsn, const struct sa *list, size_t nrcpt)
{
	struct sa trailer = SA_INIT, back = SA_INIT;
	struct dsn_msg m;
	struct dsn_rcpt d;
	const char *p, *end = list->s + list->len;
	size_t n = 0, got;

	for (p = list->s; list->len > 0 && p < end; n++) {
		p = dsn_list_get(p, &d);
		CHECK(d.notify == 0 || d.notify == DSN_NOTIFY_NEVER ||
		    (d.notify & ~(unsigned)(DSN_NOTIFY_SUCCESS |
		    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY)) == 0);
		CHECK(d.orcpt[0] == '\0' ||
		    dsn_orcpt_ok(d.orcpt, strlen(d.orcpt)));
	}
	CHECK(n == nrcpt && (list->len == 0 || p == end));
	CHECK(dsn_trailer(&trailer, dsn, list) == 0);
	CHECK(dsn_trailer_parse(trailer.s, trailer.len, &m, &back, nrcpt,
	    &got) == NULL);
	CHECK(m.ret == dsn->ret && strcmp(m.envid, dsn->envid) == 0);
	CHECK(back.len <= list->len && (back.len == 0 ||
	    memcmp(back.s, list->s, back.len) == 0));
	sa_free(&trailer);
	sa_free(&back);
}

int
qjob_finish(struct qjob *j, const char *sender, const struct sa *rcpts,
    const struct dsn_msg *dsn, const struct sa *rcpt_dsn)
{
	const char *r;
	struct msg *m = active;

	CHECK(m != NULL && j->pid == FAKE_PID);
	bounded();
	/* only a clean message gets here: no CR, no NUL in the queue form */
	CHECK(m->body.len == 0 || memchr(m->body.s, '\r', m->body.len) == NULL);
	CHECK(m->body.len == 0 || memchr(m->body.s, '\0', m->body.len) == NULL);
	CHECK(strlen(sender) <= ADDR_PATH_MAX);
	CHECK(sa_copys(&m->sender, sender) == 0);
	for (r = rcpts->s; r != NULL && r < rcpts->s + rcpts->len;
	    r += strlen(r) + 1) {
		CHECK(*r != '\0' && strlen(r) <= ADDR_PATH_MAX);
		m->nrcpt++;
	}
	CHECK(m->nrcpt >= 1 && (long long)m->nrcpt <= cfg.maxrcpt);
	CHECK(rcpts->len > 0 && sa_copyb(&m->rcpts, rcpts->s, rcpts->len) == 0);
	dsn_ok(dsn, rcpt_dsn, m->nrcpt);
	m->dsn = *dsn;
	CHECK(sa_copyb(&m->rcpt_dsn, rcpt_dsn->s, rcpt_dsn->len) == 0);
	m->finished = 1;
	m->code = cfg.finish_code;
	j->pid = 0;
	active = NULL;
	return m->code;
}

void
qjob_abort(struct qjob *j)
{
	if (j->pid == 0)
		return;
	CHECK(active != NULL && j->pid == FAKE_PID);
	active->aborted = 1;
	j->pid = 0;
	active = NULL;
}

/* ---- the stubs: TLS, qpauth, policy --------------------------------- */

/*
 * session_dnsbl_refuses - no client is listed: the lookups need DNS,
 * and fuzz_dnsbl has the zone list's parser.
 */
int
session_dnsbl_refuses(const struct session *s, int at_connect)
{
	(void)s;
	(void)at_connect;
	return 0;
}

/*
 * session_policy_rcpt - no policy server: smtpd_policy.c talks to one
 * over a socket, and fuzz_policy has the protocol's parser.
 */
int
session_policy_rcpt(struct session *s, const char *rcpt, char *line,
    size_t size)
{
	(void)s;
	(void)rcpt;
	(void)line;
	(void)size;
	return 1;
}

int
stls_load(struct smtpd_tls *t)
{
	(void)t;
	return cfg.tls_ok;
}

/* stls_start - no encryption: the bytes go on as they are. */
int
stls_start(struct smtpd_tls *t, struct buf *in, struct buf *out, int wait,
    const char *sid, const char *ip)
{
	(void)wait;
	(void)sid;
	(void)ip;
	/* nothing pipelined before the handshake survives it */
	CHECK(in->pos == 0 && in->len == 0);
	/* the 220 went out first */
	CHECK(out->len == 0);
	CHECK(wire.tls_calls++ == 0);
	wire.tls_at = wire.off;
	if (cfg.tls_fails)
		return -1;
	strlcpy(t->info, "TLSv1.3:FUZZ:256", sizeof(t->info));
	return 0;
}

void
stls_close(struct smtpd_tls *t, int wait)
{
	(void)t;
	(void)wait;
}

const char *
stls_version(const struct smtpd_tls *t)
{
	(void)t;
	return "TLSv1.3";
}

const char *
stls_cipher(const struct smtpd_tls *t)
{
	(void)t;
	return "FUZZ";
}

int
stls_bits(const struct smtpd_tls *t)
{
	(void)t;
	return 256;
}

const char *
stls_sni(struct smtpd_tls *t)
{
	(void)t;
	return "";
}

/* auth_check - alice:secret is good, user temp is a qpauth failure. */
int
fuzz_auth_check(const char *sock, const char *user, const char *pass,
    const char *ip)
{
	(void)sock;
	(void)ip;
	CHECK(strlen(user) <= AUTH_USER_MAX && strlen(pass) <= AUTH_PASS_MAX);
	if (*user == '\0' || *pass == '\0')
		return AUTH_BAD;	/* as the real one says */
	if (strcmp(user, "temp") == 0)
		return AUTH_TEMP;
	return strcmp(user, "alice") == 0 && strcmp(pass, "secret") == 0 ?
	    AUTH_OK : AUTH_BAD;
}

int
local_domain(const struct sa *locals, const char *domain, char *prefix,
    size_t size)
{
	(void)locals;
	(void)size;
	prefix[0] = '\0';
	if (strcasecmp(domain, "tempfail.example") == 0)
		return -1;
	return strcasecmp(domain, "example.org") == 0 ||
	    strcasecmp(domain, "mx.example") == 0;
}

int
local_mailbox(const char *local, const char *prefix)
{
	(void)prefix;
	if (strcasecmp(local, "tempfail") == 0)
		return -1;
	return strcasecmp(local, "alice") == 0 || strcasecmp(local, "bob") == 0;
}

int
fuzz_rcpthosts_match(const char *domain)
{
	if (strcasecmp(domain, "broken.example") == 0)
		return -1;
	return strcasecmp(domain, "relay.example") == 0;
}

/* relayrcpt_match - no control/relayrecipients: every address taken */
int
fuzz_relayrcpt_match(const char *plain, const char *domain, char sep)
{
	(void)plain;
	(void)domain;
	(void)sep;
	return 1;
}

int
fuzz_local_extsep(char *sep)
{
	*sep = '+';
	return 0;
}

int
fuzz_sender_allowed(const char *user, const char *sender)
{
	size_t n = strlen(user);

	if (strcmp(user, "temp") == 0)
		return -1;
	return strncmp(sender, user, n) == 0 && sender[n] == '@';
}

int
queue_space_ok(int fd, long long *minfree)
{
	(void)fd;
	*minfree = MINFREE_DEFAULT;
	return cfg.low_space ? 0 : 1;
}

/* ---- the replies ---------------------------------------------------- */

struct reply {
	int	 code;
	size_t	 start, end;	/* in wire.out: first octet, past CRLF */
	size_t	 nlines;
};

static struct sa	 replies;	/* struct reply */

/* parse_replies - split the output into replies, checking each line. */
static void
parse_replies(void)
{
	const char *o = wire.out.s, *crlf;
	struct reply r = { 0, 0, 0, 0 };
	size_t p = 0, len, i;
	int code;

	while (p < wire.out.len) {
		crlf = memmem(o + p, wire.out.len - p, "\r\n", 2);
		CHECK(crlf != NULL);
		len = (size_t)(crlf - (o + p));
		CHECK(len + 2 <= REPLY_LINE_MAX);
		CHECK(len >= 4 && o[p] >= '2' && o[p] <= '5');
		CHECK(o[p + 1] >= '0' && o[p + 1] <= '9');
		CHECK(o[p + 2] >= '0' && o[p + 2] <= '9');
		CHECK(o[p + 3] == ' ' || o[p + 3] == '-');
		for (i = 4; i < len; i++)
			CHECK(((unsigned char)o[p + i] >= 0x20 &&
			    o[p + i] != 0x7f) || o[p + i] == '\t');
		code = (o[p] - '0') * 100 + (o[p + 1] - '0') * 10 +
		    (o[p + 2] - '0');
		if (r.nlines == 0) {
			r.code = code;
			r.start = p;
		}
		CHECK(code == r.code);
		r.nlines++;
		p += len + 2;
		if (o[p - len - 2 + 3] == ' ') {
			r.end = p;
			CHECK(sa_catb(&replies, &r, sizeof(r)) == 0);
			r.nlines = 0;
		}
	}
	CHECK(r.nlines == 0);	/* the output ends with a whole reply */
}

/* reply_has - the reply's text holds s. */
static int
reply_has(const struct reply *r, const char *s)
{
	return memmem(wire.out.s + r->start, r->end - r->start, s,
	    strlen(s)) != NULL;
}

/* ---- the model ------------------------------------------------------ */

enum { M_START, M_HELO, M_MAIL, M_RCPT, M_BDAT };

struct model {
	const char	*in;
	size_t		 n, i;		/* the input; next octet unread */
	size_t		 k, nr;		/* next reply; replies */
	int		 state, tls, authed, ended;
	long long	 errors;
	struct sa	 sender;	/* MAIL's path if plain, else "\1" */
	struct sa	 rcpts;		/* RCPTs' paths if plain, else "\1" */
	size_t		 nrcpt;
	struct dsn_msg	 dsn;		/* MAIL's DSN requests */
	struct sa	 rcpt_dsn;	/* the RCPTs', as a dsnparam.h list */
	struct sa	 bdat;		/* the chunks of a BDAT message */
	size_t		 msg;		/* next struct msg */
};

/* next - the next reply, which must not have gone before octet end. */
static const struct reply *
next(struct model *m, size_t end)
{
	const struct reply *r = (const struct reply *)(void *)replies.s;

	CHECK(m->k < m->nr);
	r += m->k++;
	CHECK(written_at(r->end) >= end);
	return r;
}

/*
 * counted - a refusal smtpd counts toward maxerrors (every 5xx but
 * the end of a message and BDAT's syntax error): then 421 at the limit.
 */
static void
counted(struct model *m, const struct reply *r, size_t end)
{
	if (r->code / 100 != 5)
		return;
	if (++m->errors >= cfg.maxerrors) {
		CHECK(next(m, end)->code == 421);
		m->ended = 1;
	}
}

/*
 * plain_path - the path of "FROM:<a@b>" / "TO:<a@b>" when it is that
 * simple (lower case, digits, dots, one @, no parameters), else "\1"
 * (not compared).
 */
static void
plain_path(const struct smtp_cmd *c, const char *prefix, struct sa *out)
{
	size_t p = strlen(prefix), n = c->arglen, i, at = 0;
	const char *a = c->arg;
	int ok = n > p + 2 && strncasecmp(a, prefix, p) == 0 &&
	    a[p] == '<' && a[n - 1] == '>';

	for (i = p + 1; ok && i < n - 1; i++) {
		if (a[i] == '@')
			at++;
		else if (!((a[i] >= 'a' && a[i] <= 'z') ||
		    (a[i] >= '0' && a[i] <= '9') || a[i] == '.'))
			ok = 0;
	}
	ok = ok && at == 1 && a[p + 1] != '@' && a[n - 2] != '@' &&
	    a[n - 2] != '.' && a[p + 1] != '.';
	if (n == p + 2 && strncasecmp(a, prefix, p) == 0 &&
	    memcmp(a + p, "<>", 2) == 0)
		CHECK(sa_copys(out, "") == 0);
	else if (ok)
		CHECK(sa_copyb(out, a + p + 1, n - p - 2) == 0 &&
		    sa_0(out) == 0);
	else
		CHECK(sa_copys(out, "\1") == 0);
}

static void
reset_tx(struct model *m)
{
	m->nrcpt = 0;
	m->rcpts.len = 0;
	m->rcpt_dsn.len = 0;
	m->bdat.len = 0;
	if (m->state > M_HELO)
		m->state = M_HELO;
}

/*
 * queue_form - the wire octets of a message (DATA without its final
 * "." CRLF, or the BDAT chunks) as the queue must get them: CRLF made
 * LF, in DATA a leading dot removed; *bad when smtpd must refuse it.
 */
static void
queue_form(const char *w, size_t n, int dot, struct sa *q, int *bad)
{
	const char *crlf;
	size_t i = 0, e, k;
	unsigned received = 0;
	int header = 1;

	*bad = 0;
	q->len = 0;
	while (i < n) {
		crlf = memmem(w + i, n - i, "\r\n", 2);
		e = crlf ? (size_t)(crlf - w) : n;
		if ((crlf ? e + 2 : n) - i > DATA_LINE_MAX)
			*bad = 1;
		k = dot && w[i] == '.' ? i + 1 : i;
		if (memchr(w + k, '\0', e - k) != NULL ||
		    memchr(w + k, '\r', e - k) != NULL ||
		    memchr(w + k, '\n', e - k) != NULL)
			*bad = 1;
		if (header && e == i)
			header = 0;
		else if (header && e - k >= 9 &&
		    strncasecmp(w + k, "Received:", 9) == 0)
			received++;
		CHECK(sa_catb(q, w + k, e - k) == 0);
		if (crlf != NULL)
			CHECK(sa_catc(q, '\n') == 0);
		i = crlf ? e + 2 : n;
	}
	if (received > DATA_RECEIVED_MAX ||
	    (cfg.databytes > 0 && q->len > cfg.databytes))
		*bad = 1;
}

/* received_ok - smtpd's Received: line: one header field, its id. */
static void
received_ok(const char *s, size_t n, const struct msg *g)
{
	size_t i;

	CHECK(n > 15 && n <= RECEIVED_MAX &&
	    memcmp(s, "Received: from ", 15) == 0 && s[n - 1] == '\n');
	for (i = 0; i + 1 < n; i++)
		if (s[i] == '\n')
			CHECK(s[i + 1] == '\t');
	CHECK(memmem(s, n, g->id, QID_LEN) != NULL);
}

/* same_rcpts - what qjob_finish got is what RCPT had accepted. */
static void
same_rcpts(const struct model *m, const struct msg *g)
{
	const char *a = m->rcpts.s, *b = g->rcpts.s;
	size_t i;

	CHECK(g->nrcpt == m->nrcpt);
	for (i = 0; i < m->nrcpt; i++) {
		if (a[0] != '\1')
			CHECK(strcmp(a, b) == 0);
		a += strlen(a) + 1;
		b += strlen(b) + 1;
	}
	if (m->sender.s[0] != '\1')
		CHECK(strcmp(m->sender.s, g->sender.s) == 0);
	CHECK(g->dsn.ret == m->dsn.ret &&
	    strcmp(g->dsn.envid, m->dsn.envid) == 0);
	CHECK(g->rcpt_dsn.len == m->rcpt_dsn.len && (m->rcpt_dsn.len == 0 ||
	    memcmp(g->rcpt_dsn.s, m->rcpt_dsn.s, m->rcpt_dsn.len) == 0));
}

/*
 * message_end - the message is all in (wire octets w): its reply, and
 * what the stub got, must agree with the rules.
 */
static void
message_end(struct model *m, const char *w, size_t n, int dot, size_t end)
{
	static struct sa q;
	const struct reply *r = next(m, end);
	struct msg *g;
	int bad;

	CHECK(m->msg < nmsgs);
	g = &msgs[m->msg++];
	CHECK(g->start_code == 0);
	queue_form(w, n, dot, &q, &bad);
	if (bad) {
		CHECK(!g->finished && g->aborted);
		CHECK(r->code == 550 || r->code == 552 || r->code == 554);
	} else {
		CHECK(g->finished && !g->aborted);
		CHECK(g->body.len >= q.len && (q.len == 0 ||
		    memcmp(g->body.s + g->body.len - q.len, q.s, q.len) == 0));
		received_ok(g->body.s, g->body.len - q.len, g);
		same_rcpts(m, g);
		if (g->code == 0)
			CHECK(r->code == 250 && reply_has(r, g->id));
		else if (g->code == QI_WRITE)
			CHECK(r->code == 452);
		else
			CHECK(r->code == 554);
	}
	sa_free(&q);
	reset_tx(m);
}

/* message_dropped - a message not ended: given up, never queued. */
static void
message_dropped(struct model *m)
{
	CHECK(m->msg < nmsgs);
	CHECK(msgs[m->msg].aborted && !msgs[m->msg].finished);
	m->msg++;
}

/* start_failed - qinject did not start: 451, the transaction is over. */
static void
start_failed(struct model *m, const struct reply *r)
{
	CHECK(m->msg < nmsgs && msgs[m->msg].start_code != 0);
	m->msg++;
	CHECK(r->code == 451);
	reset_tx(m);
}

static void
m_data(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r = next(m, end);
	size_t p = m->i, start = m->i;
	const char *crlf;

	if (c->arglen > 0 || m->state != M_RCPT) {
		CHECK(r->code == (c->arglen > 0 ? 501 : 503));
		counted(m, r, end);
		return;
	}
	CHECK(m->nrcpt > 0);
	if (cfg.start_fails) {
		start_failed(m, r);
		return;
	}
	CHECK(r->code == 354);
	/* the end is CRLF "." CRLF; the DATA line's CRLF counts */
	for (;;) {
		if (m->n - p >= 3 && memcmp(m->in + p, ".\r\n", 3) == 0)
			break;
		if ((crlf = memmem(m->in + p, m->n - p, "\r\n", 2)) == NULL) {
			message_dropped(m);
			m->ended = 1;
			return;
		}
		p = (size_t)(crlf - m->in) + 2;
	}
	m->i = p + 3;
	message_end(m, m->in + start, p - start, 1, m->i);
}

static void
m_bdat(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r;
	unsigned long long n;
	int last;

	if (cmd_parse_bdat(c->arg, c->arglen, &n, &last) == -1) {
		CHECK(next(m, end)->code == 501);
		m->ended = 1;
		return;
	}
	if (n > m->n - m->i) {		/* EOF inside the chunk */
		if (m->state == M_RCPT && cfg.start_fails) {
			CHECK(m->msg < nmsgs && msgs[m->msg].start_code != 0);
			m->msg++;
		} else if (m->state == M_RCPT)
			m->state = M_BDAT;	/* started: walk's end checks */
		m->ended = 1;
		return;
	}
	end = m->i += n;
	if (m->state != M_RCPT && m->state != M_BDAT) {
		r = next(m, end);
		CHECK(r->code == 503);
		counted(m, r, end);
		return;
	}
	if (m->state == M_RCPT && cfg.start_fails) {
		start_failed(m, next(m, end));
		return;
	}
	m->state = M_BDAT;
	CHECK(sa_catb(&m->bdat, m->in + m->i - n, n) == 0);
	if (!last) {
		CHECK(next(m, end)->code == 250);
		return;
	}
	message_end(m, m->bdat.s, m->bdat.len, 0, end);
}

static void
m_mail(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r = next(m, end);
	struct mail_args a;
	const char *why;

	if (m->state != M_HELO)
		CHECK(r->code == 503);
	if (r->code == 250) {
		CHECK(m->state == M_HELO && !cfg.low_space);
		CHECK(!cfg.needs_auth || m->authed);
		m->state = M_MAIL;
		plain_path(c, "FROM:", &m->sender);
		/* what the session must keep is what the parser took */
		CHECK(cmd_parse_mail(c->arg, c->arglen, 1, &a, &why) ==
		    ARGS_OK);
		m->dsn = a.dsn;
	} else if (r->code == 501 && reply_has(r, "501 5.5.4 "))
		CHECK(cmd_parse_mail(c->arg, c->arglen, 1, &a, &why) ==
		    ARGS_PARAM);
	counted(m, r, end);
}

static void
m_rcpt(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r = next(m, end);
	struct sa path = SA_INIT;
	struct rcpt_args a;
	const char *why;

	if (m->state != M_MAIL && m->state != M_RCPT)
		CHECK(r->code == 503);
	else if ((long long)m->nrcpt >= cfg.maxrcpt)
		CHECK(r->code == 452);
	if (r->code == 250) {
		m->state = M_RCPT;
		m->nrcpt++;
		plain_path(c, "TO:", &path);
		CHECK(sa_catb(&m->rcpts, path.s, path.len + 1) == 0);
		CHECK(cmd_parse_rcpt(c->arg, c->arglen, 1, &a, &why) ==
		    ARGS_OK);
		CHECK(dsn_list_add(&m->rcpt_dsn, &a.dsn) == 0);
	}
	sa_free(&path);
	counted(m, r, end);
}

static void
m_helo(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r = next(m, end);
	size_t n = c->arglen;

	while (n > 0 && c->arg[n - 1] == ' ')
		n--;
	CHECK(r->code == (n > 0 ? 250 : 501));
	if (r->code == 250) {
		reset_tx(m);
		m->state = M_HELO;
		if (c->verb == VERB_EHLO) {
			CHECK(r->nlines > 1 && reply_has(r, "PIPELINING"));
			CHECK(reply_has(r, "250-DSN\r\n"));
			CHECK(reply_has(r, "STARTTLS") ==
			    (cfg.tls_ok == 1 && !m->tls));
			CHECK(reply_has(r, "AUTH PLAIN LOGIN") ==
			    (m->tls && !m->authed));
		} else
			CHECK(r->nlines == 1);
	}
	counted(m, r, end);
}

static void
m_starttls(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r = next(m, end);

	if (c->arglen > 0)
		CHECK(r->code == 501);
	else if (m->tls)
		CHECK(r->code == 503);
	else if (cfg.tls_ok == 0)
		CHECK(r->code == 502);
	else if (cfg.tls_ok == -1)
		CHECK(r->code == 454);
	else {
		CHECK(r->code == 220);
		/* what came behind STARTTLS before the handshake is gone */
		CHECK(wire.tls_calls == 1 && wire.tls_at >= m->i);
		m->i = wire.tls_at;
		if (cfg.tls_fails) {
			m->ended = 1;
			return;
		}
		m->tls = 1;
		reset_tx(m);
		m->state = M_START;
		return;
	}
	counted(m, r, end);
}

/* m_auth - the exchange: 334 and a response line, up to twice. */
static void
m_auth(struct model *m, const struct smtp_cmd *c, size_t end)
{
	const struct reply *r = next(m, end);
	const char *nl;
	int steps = 0;

	(void)c;
	if (!m->tls)
		CHECK(r->code == 538);
	else if (m->state != M_HELO || m->authed)
		CHECK(r->code == 503);
	while (r->code == 334) {
		CHECK(++steps <= 2);
		nl = memchr(m->in + m->i, '\n', m->n - m->i);
		if (nl == NULL) {
			m->ended = 1;
			return;
		}
		end = m->i = (size_t)(nl - m->in) + 1;
		r = next(m, end);
	}
	CHECK(r->code == 235 || r->code == 535 || r->code == 454 ||
	    r->code / 100 == 5);
	if (r->code == 235) {
		CHECK(m->tls && m->state == M_HELO && !m->authed);
		m->authed = 1;
	}
	counted(m, r, end);
}

/* m_command - one command line (CRLF removed) and its reply. */
static void
m_command(struct model *m, const char *line, size_t n, size_t end)
{
	const struct reply *r;
	struct smtp_cmd c;
	int code = 0;

	if (cmd_parse(line, n, &c) == -1)
		code = 500;
	else if (m->state == M_BDAT && c.verb != VERB_BDAT &&
	    c.verb != VERB_RSET && c.verb != VERB_QUIT && c.verb != VERB_NOOP)
		code = 503;
	if (code == 0) {
		switch (c.verb) {
		case VERB_HELO:
		case VERB_EHLO:
			m_helo(m, &c, end);
			return;
		case VERB_MAIL:
			m_mail(m, &c, end);
			return;
		case VERB_RCPT:
			m_rcpt(m, &c, end);
			return;
		case VERB_DATA:
			m_data(m, &c, end);
			return;
		case VERB_BDAT:
			m_bdat(m, &c, end);
			return;
		case VERB_STARTTLS:
			m_starttls(m, &c, end);
			return;
		case VERB_AUTH:
			m_auth(m, &c, end);
			return;
		case VERB_RSET:
			if (m->state == M_BDAT)
				message_dropped(m);
			reset_tx(m);
			code = 250;
			break;
		case VERB_NOOP:
			code = 250;
			break;
		case VERB_QUIT:
			CHECK(next(m, end)->code == 221);
			m->ended = 1;
			return;
		case VERB_VRFY:
			code = 252;
			break;
		case VERB_EXPN:
			code = 502;
			break;
		case VERB_HELP:
			code = 214;
			break;
		default:
			code = 500;
			break;
		}
	}
	r = next(m, end);
	CHECK(r->code == code);
	counted(m, r, end);
}

/* walk - the whole conversation against the replies. */
static void
walk(struct model *m)
{
	const char *nl;
	size_t start, len;

	if (cfg.implicit) {
		CHECK(wire.tls_calls == 1 && wire.tls_at == 0);
		if (cfg.tls_fails) {
			CHECK(m->nr == 0);
			return;
		}
		m->tls = 1;
	}
	CHECK(m->nr > 0 && next(m, 0)->code == 220);
	while (!m->ended) {
		nl = memchr(m->in + m->i, '\n', m->n - m->i);
		if (nl == NULL)
			break;		/* EOF, maybe inside a line: no reply */
		start = m->i;
		m->i = (size_t)(nl - m->in) + 1;
		len = m->i - start;
		if (len > CMD_LINE_MAX || len < 2 || m->in[m->i - 2] != '\r') {
			const struct reply *r = next(m, m->i);

			CHECK(r->code == 500);
			counted(m, r, m->i);
			continue;
		}
		m_command(m, m->in + start, len - 2, m->i);
	}
	/* QUIT, EOF, an error inside a BDAT message: it was given up */
	if (m->state == M_BDAT)
		message_dropped(m);
	CHECK(m->k == m->nr);		/* no reply to nothing */
	CHECK(m->msg == nmsgs);		/* every qinject accounted for */
}

/* ---- the driver ------------------------------------------------------ */

static void
configure(uint8_t a, uint8_t b)
{
	static const unsigned long long bytes[] = { 0, 64, 2000, 100000 };
	static const size_t pieces[] = { 0, 1, 2, 3, 7, 64, 500, 4096 };
	static const int finish[] = { 0, 0, QI_WRITE, QI_REFUSED };
	static const int tls[] = { 0, 1, -1, 1 };

	cfg.databytes = bytes[a & 3];
	cfg.maxrcpt = a & 4 ? 100 : 3;
	cfg.maxerrors = a & 8 ? 1000 : 5;
	cfg.tls_ok = tls[(a >> 4) & 3];
	cfg.implicit = ((a >> 4) & 3) == 3;
	cfg.tls_fails = (a & 0x40) != 0;
	cfg.needs_auth = (a & 0x80) != 0;
	cfg.piece = pieces[b & 7];
	cfg.may_relay = (b & 8) != 0;
	cfg.finish_code = finish[(b >> 4) & 3];
	cfg.start_fails = (b & 0x40) != 0;
	cfg.low_space = (b & 0x80) != 0;
}

/* setup - a session as smtpd's main leaves it before session_run. */
static void
setup(void)
{
	static struct sa me = SA_INIT, locals = SA_INIT;

	if (me.s == NULL) {
		CHECK(sa_copys(&me, "mx.example") == 0 && sa_0(&me) == 0);
		CHECK(sa_catb(&locals, "example.org\0mx.example\0", 24) == 0);
		/* no qpauth is asked; its path must not matter */
		setenv("QPOST_AUTHSOCKET", "/nonexistent/qpauth.sock", 1);
	}
	memset(&sess, 0, sizeof(sess));
	sess.set.me = me;
	sess.set.locals = locals;
	sess.set.databytes = cfg.databytes;
	sess.set.maxrcpt = cfg.maxrcpt;
	sess.set.maxerrors = cfg.maxerrors;
	sess.set.timeout = 1200;
	sess.set.session_timeout = 3600;
	buf_init(&sess.in, -1, sess.inbuf, sizeof(sess.inbuf));
	buf_init(&sess.out, -1, sess.outbuf, sizeof(sess.outbuf));
	buf_transport(&sess.in, mem_io, NULL);
	buf_transport(&sess.out, mem_io, NULL);
	sess.queue_fd = -1;
	strlcpy(sess.ip, "192.0.2.1", sizeof(sess.ip));
	strlcpy(sess.host, "client.example", sizeof(sess.host));
	strlcpy(sess.sid, "1", sizeof(sess.sid));
	sess.tls_ok = cfg.tls_ok;
	sess.implicit_tls = cfg.implicit;
	sess.needs_auth = cfg.needs_auth;
	sess.may_relay = cfg.may_relay;
	sess.deadline = time(NULL) + sess.set.session_timeout;
}

static void
cleanup(struct model *m)
{
	size_t i;

	for (i = 0; i < nmsgs; i++) {
		sa_free(&msgs[i].body);
		sa_free(&msgs[i].sender);
		sa_free(&msgs[i].rcpts);
		sa_free(&msgs[i].rcpt_dsn);
	}
	nmsgs = 0;
	active = NULL;
	sa_free(&wire.out);
	sa_free(&wire.writes);
	sa_free(&replies);
	sa_free(&m->sender);
	sa_free(&m->rcpts);
	sa_free(&m->rcpt_dsn);
	sa_free(&m->bdat);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;

	if (size < 2 || size > INPUT_MAX)
		return 0;
	configure(data[0], data[1]);
	memset(&wire, 0, sizeof(wire));
	wire.in = (const char *)data + 2;
	wire.inlen = size - 2;
	setup();
	session_run(&sess);
	/* session_run freed what the session held, and left no qinject */
	CHECK(active == NULL && sess.job.pid == 0);
	CHECK(sess.line.s == NULL && sess.chunk.s == NULL &&
	    sess.authline.s == NULL && sess.rcpts.s == NULL &&
	    sess.rcpt_dsn.s == NULL);
	parse_replies();
	memset(&m, 0, sizeof(m));
	m.in = wire.in;
	m.n = wire.inlen;
	m.nr = replies.len / sizeof(struct reply);
	CHECK(sa_copys(&m.sender, "\1") == 0);
	walk(&m);
	cleanup(&m);
	return 0;
}
