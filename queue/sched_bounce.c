/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_bounce - tell people what became of their mail, as delivery
 * status notifications (queue_dsn.c composes them):
 *
 *	a bounce	to the sender, for the recipients that failed for
 *			good; one for all that failed together, and for
 *			those delivered whose sender asked with NOTIFY to
 *			hear of it (RFC 3461: then it reports success, and
 *			a failure NOTIFY does not ask for is not told);
 *	a delay notice	to the sender, once per message, for the
 *			recipients still pending control/delaynotice
 *			seconds after it arrived;
 *	a double bounce	to control/doublebounceto, when a bounce of ours
 *			fails; a double bounce that fails, a delay
 *			notice that fails, and anybody's mail from the
 *			null sender that fails are dropped with a log
 *			line.  Nothing is ever sent to the null sender,
 *			and nothing loops.
 *
 * A notice is a new message that sched commits into its own queue.  To
 * send each one once even across crashes it goes in three steps, each
 * saved before the next: (1) choose the notice's id and record it in
 * the reported message's env file (B for a bounce, P for a delay
 * notice); (2) commit the notice under that id, skipped when
 * env/<that id> already exists; (3) record that it is done (the failed
 * recipients marked bounced; W for the delay notice) and forget the
 * id.  Recovery repeats from the step the env file shows; the notice
 * cannot have been delivered and removed before that, since only this
 * sched delivers it and recovery runs before any delivery.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "queue_dsn.h"
#include "sched.h"

struct notice {
	struct sched	*s;
	struct qmsg	*m;		/* the message reported on */
	const char	*id;		/* the notice's id */
	const char	*to;		/* who gets it */
	char		 action;	/* DSN_FAILED or DSN_DELAYED */
	char		 kind;		/* the notice's QKIND_* */
	time_t		 now;
};

/*
 * bounce_due - failed recipients, or successes to tell, and none still
 * being delivered.
 */
int
bounce_due(const struct qmsg *m)
{
	size_t i;

	if (m->busy > 0)
		return 0;
	for (i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].state == RCPT_FAILED ||
		    qenv_tell_due(&m->env.rcpt[i]))
			return 1;
	return 0;
}

/* reported - how many recipients of m a notice of this action names */
static size_t
reported(const struct qmsg *m, char action)
{
	size_t i, count = 0;

	for (i = 0; i < m->env.nrcpt; i++)
		count += dsn_reported(action, &m->env.rcpt[i]);
	return count;
}

/* write_notice - the notice's message file (a sched_writer). */
static int
write_notice(void *ctx, struct buf *out)
{
	struct notice *n = ctx;
	struct dsn_params p;
	int r, fd;

	fd = openat(n->s->mess_fd, n->m->env.id, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	memset(&p, 0, sizeof(p));
	p.e = &n->m->env;
	p.me = n->s->trust.me.s;
	p.id = n->id;
	p.to = n->to;
	p.action = n->action;
	p.is_double = n->kind == QKIND_DOUBLE;
	p.now = n->now;
	p.retry_until = expire_deadline(n->s, n->m);
	p.mess_fd = fd;
	p.maxbytes = n->s->bounce_max;
	r = dsn_write(&p, out);
	close(fd);
	return r;
}

/* queued - whether the notice id was committed (before a crash). */
static int
queued(const struct sched *s, const char *id)
{
	struct stat st;

	return fstatat(s->env_fd, id, &st, 0) == 0;
}

/* commit_notice - step 2: the notice itself, as n->id. */
static int
commit_notice(struct notice *n)
{
	struct qenv b;
	char back[ADDR_PATH_MAX + 1];
	const char *to;

	if (queued(n->s, n->id)) {
		log_info("id=%s notice for id=%s was queued before a restart",
		    n->id, n->m->env.id);
		return 0;
	}
	memset(&b, 0, sizeof(b));
	memcpy(b.id, n->id, QID_LEN);
	b.uid = (unsigned long)getuid();
	b.arrival = n->now;
	/* a forwarded copy's SRS sender stands for the original one */
	to = sched_srs_back(n->s, n->to, back, sizeof(back));
	b.is_utf8 = n->m->env.is_utf8 || !addr_is_ascii(to);
	b.kind = n->kind;
	if ((b.sender = strdup("")) == NULL ||
	    qenv_add_rcpt(&b, to) == -1 ||
	    sched_commit(n->s, &b, write_notice, n, NULL) == -1) {
		log_warn("id=%s unable to queue a notice for id=%s", n->id,
		    n->m->env.id);
		qenv_free(&b);
		return -1;
	}
	log_info("id=%s %s queued for id=%s to=<%s> rcpts=%zu", n->id,
	    n->kind == QKIND_DOUBLE ? "double bounce" :
	    n->kind == QKIND_WARN ? "delay notice" : "bounce",
	    n->m->env.id, to, reported(n->m, n->action));
	return 0;
}

/*
 * double_to - where a failed bounce goes: control/doublebounceto (its
 * first line; an address without '@' is at control/me), "postmaster"
 * when absent.  1 with the address in out, 0 when the file is empty
 * (double bounces are dropped), -1 when it is broken (logged).
 */
static int
double_to(struct sched *s, struct sa *out)
{
	struct sa list = SA_INIT;
	const char *a = "postmaster";
	int r;

	if ((r = ctl_list("doublebounceto", &list)) == -1)
		return -1;
	if (r == 1 && list.len == 0) {
		sa_free(&list);
		return 0;
	}
	if (r == 1)
		a = list.s;
	out->len = 0;
	r = sa_cats(out, a) == 0 && (strchr(a, '@') != NULL ||
	    sa_catf(out, "@%s", s->trust.me.s) == 0) && sa_0(out) == 0 ? 1 :
	    -1;
	sa_free(&list);
	return r;
}

/*
 * mark_bounced - step 3 for the recipients the notice was about: the
 * failed ones bounced, the successes told delivered, one log line each
 * naming the notice, or saying why nobody is told (why).
 */
static void
mark_bounced(struct qmsg *m, const char *why)
{
	struct qrcpt *r;
	const char *what;
	size_t i;

	for (i = 0; i < m->env.nrcpt; i++) {
		r = &m->env.rcpt[i];
		if (r->state != RCPT_FAILED && !qenv_tell_due(r))
			continue;
		what = r->state == RCPT_FAILED ? "bounced" : "success told";
		if (why == NULL && !dsn_reported(DSN_FAILED, r))
			log_info("id=%s to=<%s> bounce not sent: its NOTIFY "
			    "does not ask for one", m->env.id, r->addr);
		else if (why != NULL)
			log_info("id=%s to=<%s> %s", m->env.id, r->addr, why);
		else
			log_info("id=%s to=<%s> %s notice=%s", m->env.id,
			    r->addr, what, m->env.bounce_id);
		r->state = r->state == RCPT_FAILED ? RCPT_BOUNCED :
		    RCPT_DELIVERED;
	}
}

/*
 * bounce_make - queue one bounce for all failed recipients of m and its
 * successes to tell (to its sender; for a failed bounce of ours, a
 * double bounce to control/doublebounceto; otherwise none), then mark
 * them bounced or delivered.
 * Returns 0, or -1 with the steps done so far saved, to be finished on
 * a later turn.
 */
int
bounce_make(struct sched *s, struct qmsg *m)
{
	struct notice n = { s, m, m->env.bounce_id, m->env.sender,
	    DSN_FAILED, QKIND_BOUNCE, time(NULL) };
	struct sa dbl = SA_INIT;
	const char *drop = NULL;
	int r;

	if (m->env.sender[0] == '\0') {
		if (m->env.kind == QKIND_BOUNCE) {
			n.kind = QKIND_DOUBLE;
			/* queued before a crash: whatever the file says now */
			if (m->env.bounce_id[0] != '\0' &&
			    queued(s, m->env.bounce_id))
				n.to = "";
			else if ((r = double_to(s, &dbl)) == -1) {
				log_warnx("id=%s double bounce waits: "
				    "control/doublebounceto is broken",
				    m->env.id);
				return -1;
			} else if (r == 0)
				drop = "double bounce dropped: "
				    "control/doublebounceto is empty";
			else
				n.to = dbl.s;
		} else if (m->env.kind == QKIND_DOUBLE)
			drop = "double bounce failed: dropped";
		else if (m->env.kind == QKIND_WARN)
			drop = "delay notice failed: dropped";
		else
			drop = "bounce dropped: the sender is null";
	}
	/* every failure's NOTIFY said no (or NEVER): nobody to tell */
	if (drop == NULL && reported(m, DSN_FAILED) > 0) {
		if (m->env.bounce_id[0] == '\0') {
			qid_new(m->env.bounce_id);
			if (sched_save(s, m) == -1) {
				m->env.bounce_id[0] = '\0';
				sa_free(&dbl);
				return -1;
			}
			kill_point("bounce-planned");
		}
		if (commit_notice(&n) == -1) {
			sa_free(&dbl);
			return -1;
		}
		kill_point("bounce-queued");
	}
	mark_bounced(m, drop);
	sa_free(&dbl);
	m->env.bounce_id[0] = '\0';
	return sched_save(s, m);
}

/*
 * pending - recipients still to be delivered, with tries or without,
 * whose NOTIFY lets a delay notice name them.
 */
static int
pending(const struct qmsg *m, int tried)
{
	size_t i;

	for (i = 0; i < m->env.nrcpt; i++)
		if (dsn_reported(DSN_DELAYED, &m->env.rcpt[i]) &&
		    (!tried || m->env.rcpt[i].tries > 0))
			return 1;
	return 0;
}

/*
 * delay_wake - when m needs its delay notice, or TIME_NEVER: mail of
 * anybody's (not a notice of ours), a recipient still pending after
 * control/delaynotice seconds and at least one attempt, none sent yet.
 * sched_fair.c sets m's timer by it, so it must not name a time that
 * passes without delay_check sending the notice or failing.
 */
time_t
delay_wake(const struct sched *s, const struct qmsg *m)
{
	if (m->env.warned || m->env.kind != QKIND_MAIL ||
	    s->delay_notice == 0 || !pending(m, 1))
		return TIME_NEVER;
	return m->env.arrival + (time_t)s->delay_notice;
}

/*
 * delay_check - send m's delay notice if it is due, or finish one a
 * crash or a failure interrupted.  Returns 0, or -1 with the steps done
 * so far saved, to be finished on a later turn.
 */
int
delay_check(struct sched *s, struct qmsg *m, time_t now)
{
	struct notice n = { s, m, m->env.notice_id, m->env.sender,
	    DSN_DELAYED, QKIND_WARN, now };

	if (m->env.notice_id[0] == '\0') {
		if (now < delay_wake(s, m))
			return 0;
		if (m->env.sender[0] == '\0') {
			/* decided once, and remembered */
			log_info("id=%s delay notice not sent: the sender is "
			    "null", m->env.id);
			m->env.warned = 1;
			return sched_save(s, m);
		}
		qid_new(m->env.notice_id);
		if (sched_save(s, m) == -1) {
			m->env.notice_id[0] = '\0';
			return -1;
		}
		kill_point("notice-planned");
	} else if (!pending(m, 0) && !queued(s, m->env.notice_id)) {
		/* planned, then held up until nothing was left to report */
		log_info("id=%s delay notice given up: every recipient is done",
		    m->env.id);
		m->env.warned = 1;
		m->env.notice_id[0] = '\0';
		return sched_save(s, m);
	}
	if (commit_notice(&n) == -1)
		return -1;
	kill_point("notice-queued");
	m->env.warned = 1;
	m->env.notice_id[0] = '\0';
	return sched_save(s, m);
}
