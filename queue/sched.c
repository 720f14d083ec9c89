/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched - the scheduler: owns the queue and decides what is delivered
 * when.
 *
 * Runs as qpqueue (group qpost), started by qpost-start with pipes to
 * lspawn (fds 3 and 4) and rspawn (fds 5 and 6).  It picks up drop/,
 * where any local user can write, treating every file there as
 * hostile; keeps mess/<id> (the message) and env/<id> (envelope and
 * per-recipient state, rewritten whole with write, fsync, rename, fsync
 * for every change), or delivers a new message before committing it
 * (sched_express.c); sends deliveries to the spawners; records each
 * result; retries temporary failures; bounces permanent ones; removes
 * a message once every recipient is done.  It trusts the spawners'
 * results only as far as their strict format goes.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "rec.h"
#include "sched.h"
#include "spawn_rec.h"

#define USAGE		"usage: sched [-h]"
#define FD_TO_LOCAL	3
#define FD_FROM_LOCAL	4
#define FD_TO_REMOTE	5
#define FD_FROM_REMOTE	6
/* the work of one turn of the loop is bounded for each kind of work */
#define PICKUP_BATCH	50	/* drop files taken */
#define LOAD_BATCH	500	/* env files loaded, while loading at start */
#define TIMER_BATCH	1000	/* due timers acted on */
#define RESULT_BATCH	64	/* results taken from each spawner */
#define DRAIN_MAX	30	/* seconds to wait for results on SIGTERM */

struct job {
	unsigned long long	 id;
	struct qmsg		*msg;
	size_t			*rcpt;	/* indices into msg->env.rcpt */
	size_t			 n;
	int			 kind;	/* SPAWN_LOCAL or SPAWN_REMOTE */
	struct dom		*dom;	/* its destination (sched_fair.c) */
	int			 is_probe;	/* the domain's probe */
	struct job		*next;
};

static struct job *jobs;
static unsigned long long last_job;
static volatile sig_atomic_t got_term, got_hup;
static struct buf from[2];
static char from_buf[2][65536];
static struct buf to[2];
static char to_buf[2][4096];

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/*
 * kill_point - for tests only: die by SIGKILL at the named step when
 * QPOST_TEST_KILL_AT names it, so a test can crash sched exactly
 * between two steps (sched_bounce.c, sched_express.c, and here); with
 * QPOST_TEST_KILL_IF, only while the file it names exists, so a test
 * can let sched pass the step first.
 */
void
kill_point(const char *step)
{
	const char *at = getenv("QPOST_TEST_KILL_AT");
	const char *armed = getenv("QPOST_TEST_KILL_IF");

	if (at != NULL && strcmp(at, step) == 0 &&
	    (armed == NULL || access(armed, F_OK) == 0)) {
		log_info("test: killed at %s", step);
		raise(SIGKILL);
	}
}

/* ---- the queue on disk --------------------------------------------- */

/*
 * sched_save_env - rewrite env/<id> from memory: write tmp/e.<id>,
 * fsync, rename, and fsync env/ when flags say ATOMIC_SYNC_DIR.
 * Returns 0, or -1 (logged) with the old file kept.
 */
int
sched_save_env(struct sched *s, struct qmsg *m, int flags)
{
	struct sa out = SA_INIT;
	struct atomic a;
	char tmp[QID_LEN + 3];
	int r = -1;

	snprintf(tmp, sizeof(tmp), "e.%s", m->env.id);
	if (qenv_encode(&m->env, &out) == 0 &&
	    pool_begin(s, POOL_ENV, &a, tmp, s->env_fd, m->env.id, 0600) == 0) {
		if (fd_write_all(a.fd, out.s, out.len) == -1)
			atomic_abort(&a);
		else
			r = atomic_commit(&a, flags);
	}
	if (r == -1)
		log_warn("id=%s unable to save env/%s", m->env.id, m->env.id);
	sa_free(&out);
	return r;
}

/*
 * sched_save - make m's state in memory its state on disk: a message
 * not committed yet is committed (sched_express.c), any other has its
 * env file rewritten.  Returns 0, or -1 (logged) with the old state kept.
 */
int
sched_save(struct sched *s, struct qmsg *m)
{
	if (m->express != NULL)
		return express_commit(s, &m, 1) == 1 ? 0 : -1;
	return sched_save_env(s, m, ATOMIC_SYNC_DIR);
}

/* sched_add - keep an envelope in memory (takes it over). */
struct qmsg *
sched_add(struct sched *s, struct qenv *env)
{
	struct qmsg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->env = *env;
	memset(env, 0, sizeof(*env));
	fair_index(s, m);
	TAILQ_INSERT_TAIL(&s->msgs, m, entry);
	s->nmsgs++;
	return m;
}

/*
 * sched_remove_files - a finished message: its drop file goes first
 * when it was not committed (sched_express.c), then env/<id>, so a
 * crash in between leaves an orphan message file that recovery removes,
 * never an envelope without its message.  Each file goes to its pool
 * (sched_pool.c), or is unlinked when the pool is full.
 */
int
sched_remove_files(struct sched *s, struct qmsg *m)
{
	const char *id = m->env.id;

	if (m->express != NULL)
		express_done(s, m);
	if (pool_keep(s, POOL_ENV, s->env_fd, id) == -1 &&
	    unlinkat(s->env_fd, id, 0) == -1 && errno != ENOENT) {
		log_warn("id=%s unable to remove env/%s", id, id);
		return -1;
	}
	if (pool_keep(s, POOL_MESS, s->mess_fd, id) == -1 &&
	    unlinkat(s->mess_fd, id, 0) == -1 && errno != ENOENT)
		log_warn("id=%s unable to remove mess/%s", id, id);
	return 0;
}

/* is_done - no delivery of m runs or waits, no bounce is due. */
static int
is_done(const struct qmsg *m)
{
	size_t i;

	if (m->busy > 0)
		return 0;
	for (i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].state == RCPT_PENDING ||
		    m->env.rcpt[i].state == RCPT_FAILED ||
		    qenv_tell_due(&m->env.rcpt[i]))
			return 0;
	return 1;
}

/*
 * sched_finish - drop a message whose recipients are all done.
 * Returns 1 when it was dropped (m is freed), else 0.
 */
int
sched_finish(struct sched *s, struct qmsg *m)
{
	if (!is_done(m))
		return 0;
	if (sched_remove_files(s, m) == 0)
		log_info("id=%s removed", m->env.id);
	else if (sched_save(s, m) == 0)
		/* the env file now says done: the next start removes it */
		log_warnx("id=%s done, its files left to the next start",
		    m->env.id);
	else
		log_warnx("id=%s done, but its env file neither removed nor "
		    "saved: the next start delivers it again", m->env.id);
	sched_forget(s, m);
	return 1;
}

/* sched_forget - drop a message from memory (its files are gone). */
void
sched_forget(struct sched *s, struct qmsg *m)
{
	express_forget(s, m);
	fair_forget(s, m);
	TAILQ_REMOVE(&s->msgs, m, entry);
	s->nmsgs--;
	qenv_free(&m->env);
	free(m);
}

/*
 * sched_settle - after m changed (its recipients' states, if changed,
 * or its notices' time came): save the env file, make the bounce and
 * delay notice that are due, remove the message if it is done, else
 * set its timer again (m may be freed).  A notice that cannot be
 * queued now (a full disk, say) is tried again retrymin seconds later.
 */
void
sched_settle(struct sched *s, struct qmsg *m, time_t now, int changed)
{
	/*
	 * A failed save keeps the old state on disk: redelivery, not loss.
	 * A message about to be removed needs no save: a crash before the
	 * removal redelivers, as one before the save would have.
	 */
	if (changed && !is_done(m))
		(void)sched_save(s, m);
	if ((bounce_due(m) && bounce_make(s, m) == -1) ||
	    delay_check(s, m, now) == -1)
		m->dsn_retry = now + (time_t)s->retry_min;
	else
		m->dsn_retry = 0;
	if (!sched_finish(s, m))
		fair_update(s, m);
}

/* ---- deliveries ---------------------------------------------------- */

/*
 * job_dsn - the DSN requests of recipients rcpt[0..n-1] of m, as a
 * dsnparam.h list into out, left empty when none asked anything.
 */
static int
job_dsn(const struct qmsg *m, const size_t *rcpt, size_t n, struct sa *out)
{
	const struct qrcpt *r;
	struct dsn_rcpt d;
	size_t i;

	for (i = 0; i < n; i++) {
		r = &m->env.rcpt[rcpt[i]];
		if (r->notify != 0 || r->orcpt != NULL)
			break;
	}
	if (i == n)
		return 0;	/* nobody asked, as nearly always: no list */
	for (i = 0; i < n; i++) {
		qenv_get_dsn(&m->env.rcpt[rcpt[i]], &d);
		if (dsn_list_add(out, &d) == -1)
			return -1;
	}
	return 0;
}

/*
 * sched_start - send one request: recipients rcpt[0..n-1] of m (indices
 * into its env), all local (then n is 1) or all of one remote domain.
 * It says the delivery may have been made before (G1, spawn_rec.h)
 * when the message was in the queue before this sched started, or a
 * recipient was tried before.  Returns 0, or -1 (out of memory) with
 * nothing changed.
 */
int
sched_start(struct sched *s, struct qmsg *m, const size_t *rcpt, size_t n,
    int kind, struct dom *d, int is_probe)
{
	const char **addrs;
	struct sa rec = SA_INIT, dsn = SA_INIT;
	struct job *j;
	size_t i;
	int is_again = m->env.is_older;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->rcpt = calloc(n, sizeof(*j->rcpt))) == NULL ||
	    (addrs = calloc(n, sizeof(*addrs))) == NULL) {
		if (j != NULL)
			free(j->rcpt);
		free(j);
		return -1;
	}
	for (i = 0; i < n; i++) {
		addrs[i] = m->env.rcpt[rcpt[i]].addr;
		j->rcpt[i] = rcpt[i];
		if (m->env.rcpt[rcpt[i]].tries > 0)
			is_again = 1;
	}
	j->n = n;
	j->id = ++last_job;
	j->msg = m;
	j->kind = kind;
	j->dom = d;
	j->is_probe = is_probe;
	if (job_dsn(m, rcpt, n, &dsn) == -1 ||
	    spawn_req_encode(&rec, j->id, m->env.id, m->env.sender, is_again,
	    addrs, j->n, &m->env.dsn, &dsn) == -1 ||
	    rec_frame_write(&to[kind], &rec) == -1)
		die(EXIT_TEMP, "unable to send a request to %s",
		    kind == SPAWN_LOCAL ? "lspawn" : "rspawn");
	for (i = 0; i < j->n; i++) {
		m->env.rcpt[j->rcpt[i]].busy = 1;
		log_info("id=%s job=%llu start to=<%s> via=%s try=%u%s",
		    m->env.id, j->id, addrs[i],
		    kind == SPAWN_LOCAL ? "local" : "remote",
		    m->env.rcpt[j->rcpt[i]].tries + 1,
		    is_again ? " again=maybe" : "");
	}
	m->busy += j->n;
	s->running[kind]++;
	j->next = jobs;
	jobs = j;
	free(addrs);
	sa_free(&rec);
	sa_free(&dsn);
	return 0;
}

/*
 * sched_backoff - seconds until the next try after the given number of
 * failures: retrymin, doubling up to retrymax, with 10% jitter.
 */
long long
sched_backoff(const struct sched *s, unsigned tries)
{
	long long d = s->retry_min;

	while (tries-- > 1 && d < s->retry_max)
		d *= 2;
	if (d > s->retry_max)
		d = s->retry_max;
	return d + (long long)arc4random_uniform((uint32_t)(d / 10 + 1));
}

/*
 * delivered_state - a delivered recipient's state: d, or the success
 * notice its NOTIFY asked for (RFC 3461 5.2.2): none when the next hop
 * took the request on, or the one forward address carries it on
 * (sched_forward.c); "relayed" to a next hop that does not offer DSN,
 * "expanded" to several mailboxes or addresses, else "delivered".
 */
static char
delivered_state(const struct qrcpt *r, const struct spawn_status *st,
    int kind)
{
	if (!(r->notify & DSN_NOTIFY_SUCCESS))
		return RCPT_DELIVERED;
	if (kind == SPAWN_REMOTE)
		return st->dsn_passed ? RCPT_DELIVERED : RCPT_TELL_RELAYED;
	if (spawn_status_expanded(st))
		return RCPT_TELL_EXPANDED;
	return st->nfwd == 1 ? RCPT_DELIVERED : RCPT_TELL_DELIVERED;
}

/* record - one recipient's outcome into memory; logged. */
static void
record(struct sched *s, struct qmsg *m, size_t i,
    const struct spawn_status *st, int kind, time_t now)
{
	struct qrcpt *r = &m->env.rcpt[i];
	const char *result = "defer";

	r->busy = 0;
	r->tries++;
	r->last = now;
	(void)qenv_set_error(r, st->text);
	if (st->status == SPAWN_OK) {
		r->state = delivered_state(r, st, kind);
		result = "ok";
	} else if (st->status == SPAWN_PERM && !s->soft_bounce) {
		r->state = RCPT_FAILED;
		result = "bounce";
	} else if (now - m->env.arrival >= s->lifetime) {
		expire_rcpt(s, m, i, st->text, now);
		return;
	} else {
		/* control/softbounce: a failure kept for the admin to mend */
		if (st->status == SPAWN_PERM)
			result = "softbounce";
		/* never past the lifetime: then it expires untried */
		r->next = now + sched_backoff(s, r->tries);
		if (r->next > expire_deadline(s, m))
			r->next = expire_deadline(s, m);
	}
	if (r->state == RCPT_PENDING)
		log_info("id=%s to=<%s> result=%s try=%u next=+%lld "
		    "text=\"%s\"", m->env.id, r->addr, result, r->tries,
		    (long long)(r->next - now), r->error ? r->error : "");
	else
		log_info("id=%s to=<%s> result=%s try=%u text=\"%s\"",
		    m->env.id, r->addr, result, r->tries,
		    r->error ? r->error : "");
}

/*
 * The messages whose results this turn has recorded, settled (their
 * env files saved) once at the turn's end rather than after each
 * result: one rewrite and sync of a message's envelope for all the
 * results that came together (a message to many local recipients got
 * one per recipient), and the more results wait while sched is busy,
 * the more each save takes in.  Nothing is acknowledged by a save, so
 * this moves no promise; a crash before it redelivers, as before.
 */
static struct qmsg *unsettled[2 * RESULT_BATCH];
static size_t nunsettled;

/* settle_results - settle the messages take_result left (may free them) */
static void
settle_results(struct sched *s, time_t now)
{
	size_t i;

	if (nunsettled > 0)
		kill_point("results-unsettled");
	for (i = 0; i < nunsettled; i++) {
		unsettled[i]->is_unsettled = 0;
		sched_settle(s, unsettled[i], now, 1);
	}
	nunsettled = 0;
}

/*
 * take_result - read one result record from a spawner and apply it:
 * 0, or -1 at the end of its pipe (the spawner has gone).
 */
static int
take_result(struct sched *s, int kind, time_t now)
{
	struct spawn_res res;
	struct sa rec = SA_INIT;
	struct job **jp, *j;
	size_t i;
	int r;

	r = rec_frame_read(&from[kind], &rec, REC_FRAME_MAX);
	if (r == 0)
		return -1;
	if (r == -1 || spawn_res_decode(rec.s, rec.len, &res) == -1)
		diex(EXIT_TEMP, "malformed result from %s",
		    kind == SPAWN_LOCAL ? "lspawn" : "rspawn");
	for (jp = &jobs; *jp != NULL && (*jp)->id != res.job; jp = &(*jp)->next)
		;
	if ((j = *jp) == NULL || j->kind != kind || res.n != j->n)
		diex(EXIT_TEMP, "result for unknown job %llu from %s", res.job,
		    kind == SPAWN_LOCAL ? "lspawn" : "rspawn");
	*jp = j->next;
	for (i = 0; i < j->n; i++) {
		/* only lspawn reports forwards; a K makes them first */
		if (res.st[i].nfwd > 0 && kind != SPAWN_LOCAL)
			diex(EXIT_TEMP, "forwards in a result from rspawn");
		if (res.st[i].nfwd > 0)
			(void)forward_make(s, j->msg, j->rcpt[i], &res.st[i]);
		record(s, j->msg, j->rcpt[i], &res.st[i], kind, now);
	}
	j->msg->busy -= j->n;
	s->running[kind]--;
	fair_result(s, j->dom, j->is_probe, &res, now);
	/* unless qctl deleted the message while these deliveries ran */
	if (sched_ctl_result(s, j->msg) == 0 && !j->msg->is_unsettled) {
		j->msg->is_unsettled = 1;
		unsettled[nunsettled++] = j->msg;
	}
	spawn_res_free(&res);
	sa_free(&rec);
	free(j->rcpt);
	free(j);
	return 0;
}

/*
 * take_results - the results waiting from both spawners, then their
 * envelopes saved.  When one spawner has gone, the group must restart,
 * but only after the results already in the other's pipe are taken
 * and all are saved: each one lost is a delivery made again, a second
 * copy at a remote receiver or in an mbox.
 */
static void
take_results(struct sched *s, struct pollfd *pfd, time_t now)
{
	int k, n, gone = -1;

	for (k = 0; k < 2; k++)
		for (n = 0; n < RESULT_BATCH &&
		    ((pfd[1 + k].revents & (POLLIN | POLLHUP)) ||
		    from[k].pos < from[k].len); n++) {
			/* one read a readable pipe: the rest only if buffered */
			pfd[1 + k].revents = 0;
			if (take_result(s, k, now) == -1) {
				gone = k;
				break;
			}
		}
	settle_results(s, now);
	if (gone != -1)
		diex(EXIT_TEMP, "%s went away: exiting so the group restarts",
		    gone == SPAWN_LOCAL ? "lspawn" : "rspawn");
}

/* ---- the loop ------------------------------------------------------ */

/* load_control - the settings, at start and on SIGHUP. */
static void
load_control(struct sched *s)
{
	/* the ranges and defaults: control/ctl_knob.c */
	static const struct {
		const char	*name;
		size_t		 off;
	} knobs[] = {
		{ "concurrencylocal",
		    offsetof(struct sched, concurrency[SPAWN_LOCAL]) },
		{ "concurrencyremote",
		    offsetof(struct sched, concurrency[SPAWN_REMOTE]) },
		{ "concurrencyperdomain",
		    offsetof(struct sched, concurrency_domain) },
		{ "queuelifetime", offsetof(struct sched, lifetime) },
		{ "retrymin", offsetof(struct sched, retry_min) },
		{ "retrymax", offsetof(struct sched, retry_max) },
		{ "delaynotice", offsetof(struct sched, delay_notice) },
		{ "bouncemaxbytes", offsetof(struct sched, bounce_max) },
		{ "softbounce", offsetof(struct sched, soft_bounce) },
	};
	const char *age = getenv("QPOST_CLEANUP_AGE");
	const char *express = getenv("QPOST_EXPRESS_MAX");
	struct trust t;
	size_t i;
	long long *v;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		v = (long long *)(void *)((char *)s + knobs[i].off);
		if (ctl_knob(knobs[i].name, v) == -1)
			diex(EXIT_TEMP, "control/%s is broken: fix it and "
			    "restart", knobs[i].name);
	}
	if (s->soft_bounce)
		log_warnx("control/softbounce is on: permanent failures wait "
		    "in the queue instead of bouncing; set it to 0 once the "
		    "logs show nothing is wrong");
	/* test-only: the age at which a stale drop file is removed */
	s->cleanup_age = age != NULL ? atoll(age) : 129600;
	/* test-only: fewer messages delivered before their commit (0: none) */
	s->express_max = express != NULL ? (size_t)atoll(express) : EXPRESS_MAX;
	if (s->express_max > EXPRESS_MAX)
		s->express_max = EXPRESS_MAX;
	if (trust_load(&t, s->queue_fd) == -1)
		diex(EXIT_TEMP, "unable to read the control files");
	trust_free(&s->trust);
	s->trust = t;
	if (sched_srs_domain(s) == -1)
		diex(EXIT_TEMP, "control/srsdomain is broken: fix it and "
		    "restart");
}

/* open_queue - the queue's directories and the trigger FIFO. */
static void
open_queue(struct sched *s)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} dirs[] = {
		{ QDIR_DROP, offsetof(struct sched, drop_fd) },
		{ QDIR_MESS, offsetof(struct sched, mess_fd) },
		{ QDIR_ENV, offsetof(struct sched, env_fd) },
		{ QDIR_TMP, offsetof(struct sched, tmp_fd) },
	};
	size_t i;
	int *fd, dfd;

	s->queue_fd = open(paths_queue(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->queue_fd == -1)
		die(EXIT_TEMP, "unable to open the queue %s", paths_queue());
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		fd = (int *)(void *)((char *)s + dirs[i].off);
		*fd = openat(s->queue_fd, dirs[i].name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fd == -1)
			die(EXIT_TEMP, "unable to open %s/%s", paths_queue(),
			    dirs[i].name);
	}
	/* one stream, rewound at each turn, not one opened at each */
	if ((dfd = dup(s->drop_fd)) == -1 ||
	    (s->drop_dir = fdopendir(dfd)) == NULL)
		die(EXIT_TEMP, "unable to list %s/drop", paths_queue());
	spare_open(s);
	s->trigger_fd = openat(s->queue_fd, QFILE_TRIGGER,
	    O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* our own writer keeps the FIFO from reporting EOF forever */
	s->trigger_keep_fd = openat(s->queue_fd, QFILE_TRIGGER,
	    O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->trigger_fd == -1 || s->trigger_keep_fd == -1)
		die(EXIT_TEMP, "unable to open the trigger FIFO %s/%s",
		    paths_queue(), QFILE_TRIGGER);
}

static void
drain_trigger(const struct sched *s)
{
	char junk[256];

	while (read(s->trigger_fd, junk, sizeof(junk)) > 0)
		;
}

/*
 * sched_reload - read the control files again: on SIGHUP, and for the
 * FIFO's "reload", which qctl can send where it may not signal sched.
 */
void
sched_reload(struct sched *s)
{
	load_control(s);
	fair_rekey(s);
	log_info("control files read again");
}

/* stop - the end of a SIGTERM: a stopped queue's tmp/ is empty. */
static void __attribute__((noreturn, format(printf, 2, 3)))
stop(struct sched *s, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pool_drain(s);
	diex(0, "%s", why);
}

static void
loop(struct sched *s)
{
	struct pollfd pfd[4];
	time_t now, drain_until = 0;
	int timeout, more, aging;

	for (;;) {
		/*
		 * SIGTERM (a supervisor's restart) starts nothing more but
		 * waits, DRAIN_MAX seconds at most, for the results of the
		 * deliveries running, as qmail-send does: a result lost
		 * here would deliver the message again after the restart.
		 * A second signal, or none running, ends it at once.
		 */
		if (got_term) {
			got_term = 0;
			if (drain_until != 0 || jobs == NULL)
				stop(s, "exiting on a signal");
			drain_until = time(NULL) + DRAIN_MAX;
			log_info("stopping: waiting for the deliveries running");
		}
		if (drain_until != 0 && jobs == NULL)
			stop(s, "exiting on a signal: no delivery running");
		if (drain_until != 0 && time(NULL) >= drain_until)
			stop(s, "exiting on a signal: deliveries still running "
			    "after %d s", DRAIN_MAX);
		if (got_hup) {
			got_hup = 0;
			sched_reload(s);
		}
		now = time(NULL);
		/* first, before drop/ is read: see queue_spare.h */
		if (now - s->last_cleanup >= 3600 || s->cleanup_age == 0) {
			pickup_cleanup(s);
			s->last_cleanup = now;
		}
		/*
		 * Each kind of work gets a bounded share of every turn, so
		 * none starves the others: loading the queue at start, new
		 * mail from drop/ (scanned every turn: the trigger only
		 * hurries it), due timers, then deliveries into the free
		 * slots, and below the results.
		 */
		if (drain_until == 0) {
			more = recover_step(s, LOAD_BATCH);
			more |= pickup_scan(s, PICKUP_BATCH);
			more |= fair_timers(s, now, TIMER_BATCH);
			fair_dispatch(s);
			timeout = more ? 0 : fair_next_wake(s, now);
			/* fair_next_wake: never more than a minute away */
			aging = express_age(s, now);
			if (aging >= 0 && aging < timeout)
				timeout = aging;
		} else
			timeout = 1000;	/* results, or the deadline */
		pfd[0].fd = s->trigger_fd;
		pfd[1].fd = FD_FROM_LOCAL;
		pfd[2].fd = FD_FROM_REMOTE;
		pfd[3].fd = s->ctl_fd;	/* -1, and so ignored, when absent */
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		pfd[3].events = POLLIN;
		pfd[3].revents = 0;
		if (from[0].pos < from[0].len || from[1].pos < from[1].len)
			timeout = 0;	/* a record is already buffered */
		if (poll(pfd, 4, timeout) == -1 && errno != EINTR)
			die(EXIT_TEMP, "poll");
		now = time(NULL);
		take_results(s, pfd, now);
		drain_trigger(s);
		if (pfd[3].revents & POLLIN)
			sched_ctl_read(s, now);
	}
}

/*
 * notify_ready - tell the supervisor that new mail is being served:
 * qpost-start -r puts s6's notification descriptor on the one named by
 * $QPOST_READYFD; write one newline to it and close it, as s6's
 * readiness protocol asks.  Without the variable, nothing to do.
 */
static void
notify_ready(void)
{
	const char *v = getenv("QPOST_READYFD"), *err;
	int fd;

	if (v == NULL)
		return;
	fd = strtonum(v, FD_FROM_REMOTE + 1, 1023, &err);
	if (err != NULL) {
		log_warnx("QPOST_READYFD=%s is %s: readiness not told", v,
		    err);
		return;
	}
	if (fd_write_all(fd, "\n", 1) == -1)
		log_warn("unable to tell readiness on descriptor %d", fd);
	(void)close(fd);
	(void)unsetenv("QPOST_READYFD");
}

int
main(int argc, char *argv[])
{
	struct sched s;
	struct sigaction sa;
	int ch;

	log_init(argv[0]);
	log_options_h(argc, argv, USAGE);
	if (!priv_single_user())
		diex(EXIT_TEMP, "refusing to run as root: qpost-start drops "
		    "to %s first", USER_QUEUE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (ch = FD_TO_LOCAL; ch <= FD_FROM_REMOTE; ch++)
		if (fcntl(ch, F_GETFD) == -1)
			diex(EXIT_TEMP, "descriptor %d is not open: sched is "
			    "started by qpost-start", ch);
	buf_init(&to[SPAWN_LOCAL], FD_TO_LOCAL, to_buf[0], sizeof(to_buf[0]));
	buf_init(&to[SPAWN_REMOTE], FD_TO_REMOTE, to_buf[1], sizeof(to_buf[1]));
	buf_init(&from[SPAWN_LOCAL], FD_FROM_LOCAL, from_buf[0],
	    sizeof(from_buf[0]));
	buf_init(&from[SPAWN_REMOTE], FD_FROM_REMOTE, from_buf[1],
	    sizeof(from_buf[1]));

	memset(&s, 0, sizeof(s));
	(void)clock_gettime(CLOCK_REALTIME, &s.started);
	TAILQ_INIT(&s.msgs);
	TAILQ_INIT(&s.express);
	open_queue(&s);
	sched_ctl_open(&s);
	sched_srs_load(&s);
	load_control(&s);
	fair_init(&s);
	/* the queue loads while new mail is served: see sched_recover.c */
	recover(&s);
	log_info("ready queued=%zu loading=1", s.nmsgs);
	notify_ready();
	loop(&s);
}
