/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_bounce - tell the sender which recipients failed for good.
 *
 * A bounce is a new message that sched commits into its own queue.  To
 * send each bounce once even across crashes it goes in three steps,
 * each saved before the next: (1) choose the bounce's id and record it
 * in the failed message's env file; (2) commit the bounce under that id
 * (skipped when env/<that id> already exists); (3) mark the failed
 * recipients bounced and forget the id.  Recovery repeats from the step
 * the env file shows.  Nothing is ever sent to the null sender.
 *
 * This is a plain-text notice; RFC 3464 delivery status notifications
 * come with the scheduler issue.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sched.h"

#define BOUNCE_HEADER_MAX	(64u * 1024)	/* bytes of the original */

struct bounce_ctx {
	struct sched	*s;
	struct qmsg	*m;
};

/* bounce_due - failed recipients, and none still being delivered. */
int
bounce_due(const struct qmsg *m)
{
	size_t i;

	if (m->busy > 0)
		return 0;
	for (i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].state == RCPT_FAILED)
			return 1;
	return 0;
}

/* copy_header - the original's header, up to the blank line, bounded. */
static int
copy_header(struct bounce_ctx *c, struct buf *out)
{
	char chunk[4096];
	size_t total = 0, i;
	ssize_t r;
	int fd, at_line_start = 1, done = 0;

	fd = openat(c->s->mess_fd, c->m->env.id, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	while (!done && total < BOUNCE_HEADER_MAX &&
	    (r = fd_read(fd, chunk, sizeof(chunk))) > 0) {
		for (i = 0; i < (size_t)r && total + i < BOUNCE_HEADER_MAX;
		    i++) {
			if (at_line_start && chunk[i] == '\n') {
				done = 1;
				break;
			}
			at_line_start = chunk[i] == '\n';
		}
		if (buf_put(out, chunk, i) == -1) {
			close(fd);
			return -1;
		}
		total += i;
	}
	close(fd);
	return 0;
}

/* write_bounce - the notice: a header, the reasons, the original header. */
static int
write_bounce(void *ctx, struct buf *out)
{
	struct bounce_ctx *c = ctx;
	struct qenv *e = &c->m->env;
	const char *me = c->s->trust.me.s;
	char date[64];
	struct sa t = SA_INIT;
	size_t i;
	int r;

	rfc5322_date(date, sizeof(date), time(NULL));
	r = sa_catf(&t, "From: MAILER-DAEMON@%s\nTo: <%s>\n"
	    "Subject: failure notice\nDate: %s\n"
	    "Message-ID: <%lld.%s@%s>\nAuto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
	    "This is the mail system at %s.\n\n"
	    "Your message could not be delivered to the recipients below.\n"
	    "This is a permanent error: I have given up.\n\n",
	    me, e->sender, date, (long long)time(NULL), e->bounce_id, me, me);
	for (i = 0; r == 0 && i < e->nrcpt; i++)
		if (e->rcpt[i].state == RCPT_FAILED)
			r = sa_catf(&t, "<%s>:\n    %s\n\n", e->rcpt[i].addr,
			    e->rcpt[i].error ? e->rcpt[i].error : "");
	if (r == 0)
		r = sa_catf(&t, "--- The header of your message (queue id %s) "
		    "follows.\n\n", e->id);
	if (r == 0)
		r = buf_put(out, t.s, t.len);
	sa_free(&t);
	return r == 0 ? copy_header(c, out) : -1;
}

/* commit_bounce - step 2: the bounce message itself, as <bounce_id>. */
static int
commit_bounce(struct sched *s, struct qmsg *m)
{
	struct bounce_ctx c = { s, m };
	struct stat st;
	struct qenv b;

	if (fstatat(s->env_fd, m->env.bounce_id, &st, 0) == 0)
		return 0;	/* committed before a crash */
	memset(&b, 0, sizeof(b));
	memcpy(b.id, m->env.bounce_id, QID_LEN);
	b.uid = (unsigned long)getuid();
	b.arrival = time(NULL);
	b.is_utf8 = m->env.is_utf8;
	if ((b.sender = strdup("")) == NULL ||
	    qenv_add_rcpt(&b, m->env.sender) == -1 ||
	    sched_commit(s, &b, write_bounce, &c) == -1) {
		qenv_free(&b);
		return -1;
	}
	log_info("id=%s bounce queued for id=%s to=<%s>", m->env.bounce_id,
	    m->env.id, m->env.sender);
	return 0;
}

/*
 * bounce_make - queue one bounce for all failed recipients of m (none
 * for the null sender), then mark them bounced.  Returns 0, or -1 with
 * the steps done so far saved, to be finished on a later turn.
 */
int
bounce_make(struct sched *s, struct qmsg *m)
{
	size_t i;

	if (m->env.sender[0] != '\0') {
		if (m->env.bounce_id[0] == '\0') {
			qid_new(m->env.bounce_id);
			if (sched_save(s, m) == -1) {
				m->env.bounce_id[0] = '\0';
				return -1;
			}
		}
		if (commit_bounce(s, m) == -1)
			return -1;
	}
	for (i = 0; i < m->env.nrcpt; i++) {
		if (m->env.rcpt[i].state != RCPT_FAILED)
			continue;
		m->env.rcpt[i].state = RCPT_BOUNCED;
		if (m->env.sender[0] == '\0')
			log_info("id=%s to=<%s> bounce dropped: the sender is "
			    "null", m->env.id, m->env.rcpt[i].addr);
	}
	m->env.bounce_id[0] = '\0';
	return sched_save(s, m);
}
