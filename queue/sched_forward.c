/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_forward - the forwards lspawn reports with a delivery (an
 * `&address' line of a dot file, a .forward, an address in the
 * aliases).  sched queues them itself, as a new message from the
 * original envelope sender (or, with control/srskey, its SRS form for a
 * copy that leaves for another domain: sched_srs.c) with
 * "Delivered-To: <address delivered to>" on top of the message, so that
 * neither the user's `local' nor the alias user has to be trusted to
 * choose envelope senders (qinject
 * lets an untrusted user send only as itself), and <> stays <>.
 *
 * The recipient counts as delivered only once every copy is committed;
 * a copy that cannot be queued makes the delivery a temporary failure,
 * tried again later with its forwards.  A copy's queue id comes from
 * the message's id, the Delivered-To address and the addresses, so a
 * delivery made again (after that failure, or after a crash before its
 * result was saved) finds a copy still queued and queues no second.  Its
 * message file has the message's mtime, so that a copy queued again
 * once the first was delivered and removed has the first one's id and
 * mtime, and local finds the Maildir copies made of the first by their
 * names (local_maildir.c: final_name) rather than make a second.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "fnv.h"
#include "log.h"
#include "queue_id.h"
#include "sched.h"
#include "spawn_rec.h"

struct copy {
	int		 fd;	/* the message file, open */
	const char	*dt;	/* the Delivered-To address */
};

/* write_copy - the Delivered-To line, then the message (a sched_writer). */
static int
write_copy(void *ctx, struct buf *out)
{
	struct copy *c = ctx;
	char chunk[65536];
	ssize_t r;

	if (buf_puts(out, "Delivered-To: <") == -1 ||
	    buf_puts(out, c->dt) == -1 || buf_puts(out, ">\n") == -1)
		return -1;
	while ((r = fd_read(c->fd, chunk, sizeof(chunk))) > 0)
		if (buf_put(out, chunk, (size_t)r) == -1)
			return -1;
	return r == -1 ? -1 : 0;
}

/*
 * forward_dsn - what the forward addresses of r ask of DSN: r's
 * requests, carried on (RFC 3461 6.2.7.3), but without SUCCESS when r
 * was expanded (to several addresses, or mailboxes besides), since r's
 * sender is told "expanded" now (sched.c) and not of each address.
 */
static void
forward_dsn(const struct qrcpt *r, int expanded, struct dsn_rcpt *d)
{
	qenv_get_dsn(r, d);
	if (expanded && (d->notify & DSN_NOTIFY_SUCCESS)) {
		d->notify &= ~(unsigned)DSN_NOTIFY_SUCCESS;
		if (d->notify == 0)
			d->notify = DSN_NOTIFY_NEVER;
	}
}

/*
 * queue_copy - one new message: m's content under "Delivered-To: <dt>"
 * to the n addresses at addrs (pairs of dt and address, all with this
 * dt), each with the DSN requests d.  Returns 0, or -1 (logged) with
 * nothing queued.
 */
static int
queue_copy(struct sched *s, const struct qmsg *m, const char *dt,
    const char *pairs, size_t n, const struct dsn_rcpt *d)
{
	struct copy c = { -1, dt };
	char id[QID_LEN + 1], srs[ADDR_PATH_MAX + 1] = "";
	const char *a, *first = pairs + strlen(pairs) + 1;
	struct qenv e;
	struct stat st;
	uint64_t h;
	size_t k;
	int leaves = 0;

	memset(&e, 0, sizeof(e));
	e.uid = (unsigned long)getuid();
	e.arrival = time(NULL);
	/* a copy queued again by a delivery made again may repeat one */
	e.is_older = m->env.is_older;
	e.is_utf8 = m->env.is_utf8;
	e.kind = QKIND_MAIL;
	e.dsn = m->env.dsn;
	h = fnv1a(fnv1a(FNV1A_INIT, m->env.id), dt);
	for (k = 0; k < n; k++) {
		a = pairs + strlen(pairs) + 1;
		if (qenv_add_rcpt(&e, a) == -1 ||
		    qenv_set_dsn(&e.rcpt[e.nrcpt - 1], d) == -1)
			goto fail;
		e.is_utf8 |= !addr_is_ascii(a);
		leaves |= !sched_srs_is_ours(s, a);
		h = fnv1a(h, a);
		pairs = a + strlen(a) + 1;
	}
	/* the SRS sender, for a copy that leaves for another domain */
	if ((e.sender = strdup(leaves ? sched_srs_sender(s, m->env.sender,
	    srs, sizeof(srs)) : m->env.sender)) == NULL)
		goto fail;
	qid_of_hash(e.id, h);
	if (fstatat(s->env_fd, e.id, &st, 0) == 0) {
		log_info("id=%s forward already queued for id=%s "
		    "delivered-to=<%s>", e.id, m->env.id, dt);
		qenv_free(&e);
		return 0;
	}
	/*
	 * a drop file of that name is another message's, not yet queued
	 * (the hash is no secret, and an address can be chosen to hit an
	 * id): a random id then, which nothing else can claim
	 */
	if (fstatat(s->drop_fd, e.id, &st, AT_SYMLINK_NOFOLLOW) == 0)
		qid_new(e.id);
	memcpy(id, e.id, sizeof(id));	/* sched_commit takes e over */
	/* the copy gets the message's mtime: see the top of this file */
	if ((c.fd = openat(s->mess_fd, m->env.id, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(c.fd, &st) == -1 ||
	    sched_commit(s, &e, write_copy, &c, &st.st_mtim) == -1)
		goto fail;
	close(c.fd);
	log_info("id=%s forward queued for id=%s delivered-to=<%s> to=<%s> "
	    "rcpts=%zu%s%s%s", id, m->env.id, dt, first, n,
	    srs[0] != '\0' ? " srs=<" : "", srs, srs[0] != '\0' ? ">" : "");
	return 0;
fail:
	log_warn("id=%s unable to queue a forward delivered-to=<%s>",
	    m->env.id, dt);
	if (c.fd != -1)
		close(c.fd);
	qenv_free(&e);
	return -1;
}

/*
 * forward_make - queue the forwards of st (recipient i of m, delivered):
 * one message for each run of pairs with the same Delivered-To
 * address.  Returns 0, or -1 when one could not be queued (st then
 * says so, as a temporary failure).
 */
int
forward_make(struct sched *s, const struct qmsg *m, size_t i,
    struct spawn_status *st)
{
	const char *p = st->fwd.s, *q, *dt;
	size_t left = st->nfwd, n;
	struct dsn_rcpt d;

	forward_dsn(&m->env.rcpt[i], spawn_status_expanded(st), &d);
	while (left > 0) {
		dt = p;
		/* the run of pairs that share this Delivered-To address */
		for (q = p, n = 0; n < left && strcmp(q, dt) == 0; n++) {
			q += strlen(q) + 1;
			q += strlen(q) + 1;
		}
		if (queue_copy(s, m, dt, p, n, &d) == -1) {
			st->status = SPAWN_TEMP;
			(void)snprintf(st->text, sizeof(st->text), "4.3.0 "
			    "delivered, but the forward could not be queued: "
			    "%s", strerror(errno));
			return -1;
		}
		p = q;
		left -= n;
	}
	return 0;
}
