/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpmilter - a content filter (control/filter, see qinject(1)) that
 * passes each message through milters (rspamd, OpenDKIM, ClamAV's,
 * ...), one after another, each seeing the changes of those before it,
 * then queues the result with qinject -Q.  A refusal becomes qinject's
 * exit code (31 for good, 71 for now); a milter that cannot be reached
 * or breaks the protocol is handled as -d says (tempfail by default).
 * The DSN requests after the envelope (its trailer, dsnparam.h) go on
 * to qinject -Q with the recipients they belong to; a milter's
 * quarantine becomes the trailer's HOLD, so the message is queued held.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "ctl.h"
#include "dsnparam.h"
#include "lmtp_client.h"
#include "log.h"
#include "milter.h"
#include "qinject_exit.h"
#include "queue_drop.h"
#include "sa.h"

#define USAGE	"usage: qpmilter [-d tempfail|accept|reject] [-t seconds] " \
		"milter ...\n" \
		"  milter: unix:/path/to/socket or inet:host:port"

#define TIMEOUT_DEFAULT	60	/* seconds per read or write */
#define TOTAL_FACTOR	5	/* a whole conversation: five of them */

enum on_failure { FAIL_TEMP, FAIL_ACCEPT, FAIL_REJECT };

struct conn {
	int		fd;
	int		timeout_ms;
	long long	deadline_ms;	/* the whole conversation's end */
};

static const char *queue_id = "-";

/*
 * The DSN requests of the envelope as it was loaded: the message's,
 * and each recipient's beside its address, since a milter may add and
 * remove recipients and a request belongs to an address, not a place.
 */
static struct dsn_msg	 dsn;
static struct sa	 dsn_addrs;	/* NUL-terminated, back to back */
static struct sa	 dsn_list;	/* an entry for each of dsn_addrs */

/* wait_fd - until fd is ready for events, within both limits: 0 or -1 */
static int
wait_fd(struct conn *c, short events)
{
	struct pollfd p = { c->fd, events, 0 };
	long long left = c->deadline_ms - clock_ms();
	int r;

	if (left > c->timeout_ms)
		left = c->timeout_ms;
	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	while ((r = poll(&p, 1, (int)left)) == -1 && errno == EINTR)
		;
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int
conn_read(void *arg, void *p, size_t n)
{
	struct conn *c = arg;
	ssize_t r;

	while (n > 0) {
		if (wait_fd(c, POLLIN) == -1)
			return -1;
		if ((r = read(c->fd, p, n)) == 0) {
			errno = 0;		/* closed */
			return -1;
		}
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

static int
conn_write(void *arg, const void *p, size_t n)
{
	struct conn *c = arg;
	ssize_t r;

	while (n > 0) {
		if (wait_fd(c, POLLOUT) == -1)
			return -1;
		if ((r = send(c->fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p = (const char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

/* milter_open - connect to a milter: 0, or -1 with the reason in why */
static int
milter_open(struct conn *c, const char *spec, char *why, size_t size)
{
	struct lmtp_dest d;
	const char *lmtp_says = "connect: ";

	c->fd = -1;
	if (milter_dest_parse(spec, &d) == -1) {
		(void)strlcpy(why, "not unix:/path or inet:host:port", size);
		return -1;
	}
	if ((c->fd = lmtp_dest_connect(&d, c->timeout_ms / 1000, why,
	    size)) == -1 && strncmp(why, lmtp_says, strlen(lmtp_says)) == 0)
		/* our log says "unable to connect: " already */
		memmove(why, why + strlen(lmtp_says),
		    strlen(why) - strlen(lmtp_says) + 1);
	return c->fd == -1 ? -1 : 0;
}

/* read_fd - all of fd into out, at most max octets: 0, or -1 */
static int
read_fd(int fd, struct sa *out, size_t max)
{
	char chunk[65536];
	ssize_t r;

	while ((r = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)r > max) {
			errno = EFBIG;
			return -1;
		}
		if (sa_catb(out, chunk, (size_t)r) == -1)
			return -1;
	}
	return r == 0 ? 0 : -1;
}

/* load_dsn - the trailer after the envelope (p, n bytes): 0 or -1 */
static int
load_dsn(const struct milter_msg *m, const char *p, size_t n)
{
	size_t i, got;

	dsn_addrs.len = 0;
	if (dsn_trailer_parse(p, n, &dsn, &dsn_list, m->nrcpt, &got) != NULL)
		return -1;
	for (i = 0; i < got; i++)
		if (sa_catb(&dsn_addrs, m->rcpt[i], strlen(m->rcpt[i]) + 1) ==
		    -1)
			return -1;
	return 0;
}

/* loaded_dsn - the request addr came with, into r (none: empty) */
static void
loaded_dsn(const char *addr, struct dsn_rcpt *r)
{
	const char *a, *d = dsn_list.s;

	for (a = dsn_addrs.s; a != NULL && a < dsn_addrs.s + dsn_addrs.len;
	    a += strlen(a) + 1) {
		d = dsn_list_get(d, r);
		if (strcmp(a, addr) == 0)
			return;
	}
	memset(r, 0, sizeof(*r));
}

/*
 * write_dsn - the trailer for m's recipients as they are now: each with
 * the request it came with, one a milter added with none.
 */
static int
write_dsn(const struct milter_msg *m, struct sa *out)
{
	struct sa list = SA_INIT;
	struct dsn_rcpt r;
	size_t i;
	int rc = 0;

	for (i = 0; i < m->nrcpt && rc == 0; i++) {
		loaded_dsn(m->rcpt[i], &r);
		rc = dsn_list_add(&list, &r);
	}
	if (rc == 0)
		rc = dsn_trailer(out, &dsn, &list);
	sa_free(&list);
	return rc;
}

/* load_envelope - qmail-queue's envelope into the message's: 0 or -1 */
static int
load_envelope(struct milter_msg *m, const char *p, size_t n)
{
	const char *end = p + n, *nul;
	char **v;

	if (n == 0 || p[0] != 'F' ||
	    (nul = memchr(p, '\0', n)) == NULL ||
	    (m->sender = strndup(p + 1, (size_t)(nul - p - 1))) == NULL)
		return -1;
	for (p = nul + 1; p < end && *p == 'T'; p = nul + 1) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL ||
		    (v = reallocarray(m->rcpt, m->nrcpt + 1, sizeof(*v))) ==
		    NULL)
			return -1;
		m->rcpt = v;
		if ((v[m->nrcpt] = strndup(p + 1, (size_t)(nul - p - 1))) ==
		    NULL)
			return -1;
		m->nrcpt++;
	}
	/* the list ends with one more NUL; then the DSN trailer, if any */
	return p < end && *p == '\0' && m->nrcpt > 0 &&
	    load_dsn(m, p + 1, (size_t)(end - p - 1)) == 0 ? 0 : -1;
}

static int
write_envelope(const struct milter_msg *m, struct sa *out)
{
	size_t i;

	out->len = 0;
	if (sa_catc(out, 'F') == -1 ||
	    sa_catb(out, m->sender, strlen(m->sender) + 1) == -1)
		return -1;
	for (i = 0; i < m->nrcpt; i++)
		if (sa_catc(out, 'T') == -1 ||
		    sa_catb(out, m->rcpt[i], strlen(m->rcpt[i]) + 1) == -1)
			return -1;
	return sa_catc(out, '\0') == -1 || write_dsn(m, out) == -1 ? -1 : 0;
}

/* load - message and envelope into m, as they are: 0 or -1 */
static int
load(struct milter_msg *m, const struct sa *msg, const struct sa *env)
{
	memset(m, 0, sizeof(*m));
	return milter_msg_parse(m, msg->s, msg->len) == -1 ||
	    load_envelope(m, env->s, env->len) == -1 ? -1 : 0;
}

/* memfd_with - a descriptor reading from the start of these bytes */
static int
memfd_with(const char *name, const struct sa *bytes)
{
	int fd;

	if ((fd = memfd_create(name, 0)) == -1 ||
	    fd_write_all(fd, bytes->s, bytes->len) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1)
		die(QI_WRITE, "unable to hold the filtered message in memory");
	return fd;
}

/* queue - run qinject -Q on the message as it is now */
static void __attribute__((noreturn))
queue(struct milter_msg *m)
{
	struct sa out = SA_INIT;
	const char *qinject = getenv("QPOST_QINJECT");
	int fd;

	if (qinject == NULL || *qinject != '/')
		diex(QI_BUG, "QPOST_QINJECT is not set: qpmilter runs as "
		    "control/filter, under qinject");
	if (m->changed) {
		if (milter_msg_write(m, &out) == -1)
			die(QI_NOMEM, "out of memory");
		fd = memfd_with("message", &out);
		if (dup2(fd, 0) == -1)
			die(QI_BUG, "dup2");
		(void)close(fd);
	} else if (lseek(0, 0, SEEK_SET) == -1)
		die(QI_READ, "unable to read the message again");
	if (write_envelope(m, &out) == -1)
		die(QI_NOMEM, "out of memory");
	fd = memfd_with("envelope", &out);
	if (dup2(fd, 1) == -1)
		die(QI_BUG, "dup2");
	(void)close(fd);
	execl(qinject, "qinject", "-Q", (char *)NULL);
	die(QI_TEMPREFUSED, "unable to run %s", qinject);
}

static void
conn_info(struct milter_conn *c, struct sa *me)
{
	memset(c, 0, sizeof(*c));
	c->ip = getenv("TCPREMOTEIP");
	c->port = getenv("TCPREMOTEPORT");
	c->host = getenv("TCPREMOTEHOST");
	c->helo = getenv("QPOST_HELO");
	c->auth_user = getenv("QPOST_AUTH_USER");
	c->id = queue_id;
	if (ctl_line("me", me) == 1 && me->s[0] != '\0')
		c->me = me->s;
}

static const char *
verdict_word(enum milter_verdict v)
{
	static const char *const word[] = { "accept", "reject", "tempfail",
	    "discard", "failed" };

	return word[v];
}

/*
 * run_one - one milter: its verdict, with a failure turned into what -d
 * says (for accept, the message as it was before this milter)
 */
static enum milter_verdict
run_one(const char *spec, struct milter_msg *m, const struct milter_conn *mc,
    int timeout, enum on_failure on_fail)
{
	struct milter_result r;
	struct milter_io io = { conn_read, conn_write, NULL };
	struct conn c;
	struct sa before_msg = SA_INIT, before_env = SA_INIT;
	char why[300];

	c.timeout_ms = timeout * 1000;
	c.deadline_ms = clock_ms() + (long long)timeout * 1000 * TOTAL_FACTOR;
	io.arg = &c;
	if (on_fail == FAIL_ACCEPT && (milter_msg_write(m, &before_msg) == -1 ||
	    write_envelope(m, &before_env) == -1))
		die(QI_NOMEM, "out of memory");
	if (milter_open(&c, spec, why, sizeof(why)) == -1) {
		r.verdict = MILTER_FAILED;
		(void)snprintf(r.text, sizeof(r.text), "unable to connect: %s",
		    why);
	} else
		milter_session(&io, mc, m, &r);
	if (c.fd != -1)
		(void)close(c.fd);
	log_info("id=%s milter=%s result=%s%s%s%s", queue_id, spec,
	    verdict_word(r.verdict), r.text[0] != '\0' ? " text=\"" : "",
	    r.text, r.text[0] != '\0' ? "\"" : "");
	if (r.verdict == MILTER_FAILED) {
		if (on_fail == FAIL_TEMP)
			r.verdict = MILTER_TEMPFAIL;
		else if (on_fail == FAIL_REJECT)
			r.verdict = MILTER_REJECT;
		else {
			/* as before this milter: the changes of those before
			   it stay, and so does the flag that says there are */
			int changed = m->changed;

			milter_msg_free(m);
			if (load(m, &before_msg, &before_env) == -1)
				die(QI_NOMEM, "out of memory");
			m->changed = changed;
			r.verdict = MILTER_ACCEPT;
		}
	}
	if (r.verdict == MILTER_ACCEPT && m->quarantined && !dsn.hold) {
		/* queued held, as Postfix puts a quarantined one on hold */
		dsn.hold = 1;
		log_info("id=%s milter=%s quarantined: held text=\"%s\"",
		    queue_id, spec, m->quarantine);
	}
	sa_free(&before_msg);
	sa_free(&before_env);
	return r.verdict;
}

static enum on_failure
parse_on_failure(const char *s)
{
	if (strcmp(s, "tempfail") == 0)
		return FAIL_TEMP;
	if (strcmp(s, "accept") == 0)
		return FAIL_ACCEPT;
	if (strcmp(s, "reject") == 0)
		return FAIL_REJECT;
	usage_exit(USAGE, QI_REFUSED);
}

int
main(int argc, char *argv[])
{
	struct milter_msg m;
	struct milter_conn mc;
	struct sa msg = SA_INIT, env = SA_INIT, me = SA_INIT;
	enum on_failure on_fail = FAIL_TEMP;
	enum milter_verdict verdict = MILTER_ACCEPT;
	const char *errstr;
	int ch, i, timeout = TIMEOUT_DEFAULT;

	log_init("qpmilter");
	while ((ch = getopt(argc, argv, "d:ht:")) != -1) {
		switch (ch) {
		case 'd':
			on_fail = parse_on_failure(optarg);
			break;
		case 't':
			timeout = (int)strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				diex(QI_REFUSED, "-t %s: %s (1 to 3600 "
				    "seconds)", optarg, errstr);
			break;
		case 'h':
			usage_exit(USAGE, 0);
		default:
			usage_exit(USAGE, QI_REFUSED);
		}
	}
	if (optind == argc)
		usage_exit(USAGE, QI_REFUSED);
	if (getenv("QPOST_FILTERED") != NULL)
		queue_id = getenv("QPOST_FILTERED");
	if (read_fd(1, &env, QDROP_ENV_MAX) == -1 ||
	    read_fd(0, &msg, SIZE_MAX / 2) == -1)
		die(QI_READ, "unable to read the message or its envelope");
	if (load(&m, &msg, &env) == -1)
		diex(QI_ENVELOPE, "id=%s the envelope is malformed or memory "
		    "ran out", queue_id);
	sa_free(&msg);
	sa_free(&env);
	conn_info(&mc, &me);
	for (i = optind; i < argc && verdict == MILTER_ACCEPT; i++)
		verdict = run_one(argv[i], &m, &mc, timeout, on_fail);
	if (verdict == MILTER_ACCEPT)
		queue(&m);
	milter_msg_free(&m);
	sa_free(&me);
	switch (verdict) {
	case MILTER_REJECT:
		return QI_REFUSED;
	case MILTER_DISCARD:
		return QI_OK;		/* dropped, as the milter asked */
	default:
		return QI_TEMPREFUSED;
	}
}
