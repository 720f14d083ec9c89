/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_fair - what is due, and who goes next.  See sched_fair.h for
 * the shape.  Every operation costs in proportion to the message or
 * destination it touches, never to the size of the queue: the timer
 * heap says what is due next, the id index finds a message, and the
 * active lists hold only destinations that can start a delivery now.
 *
 * Fairness: new mail goes straight into its destination's line for new
 * mail (no timer), so neither a retry backlog nor the timers' batches
 * stand before it; each destination serves its two lines alternately,
 * so retries still get half its turns during a burst of new mail; and
 * dispatch goes round the active destinations one delivery at a time,
 * so a domain with a thousand messages waiting gets no more turns than
 * one with a single message, and at most concurrencyperdomain slots.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sched_fair.h"
#include "spawn_rec.h"

#define WAKE_MAX	60	/* seconds between turns at the most */
#define SETTLE_MAX	16	/* expiries (each saves a file) per turn */

#define msg_of(t)	((struct qmsg *)(void *)((char *)(t) - \
			    offsetof(struct qmsg, tmr)))
#define dom_of(t)	((struct dom *)(void *)((char *)(t) - \
			    offsetof(struct dom, tmr)))

/* fair_oom - out of memory where sched cannot go on consistently. */
void
fair_oom(void)
{
	diex(EXIT_TEMP, "out of memory: exiting, the queue is safe on disk");
}

void
fair_init(struct sched *s)
{
	struct fair *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		fair_oom();
	heap_init(&f->timers);
	TAILQ_INIT(&f->active[SPAWN_LOCAL]);
	TAILQ_INIT(&f->active[SPAWN_REMOTE]);
	/* the local destination: made once, never freed */
	f->local = dom_new("", SPAWN_LOCAL);
	s->fair = f;
}

/* ---- the id index -------------------------------------------------- */

/* id_hash - ids are random hex: their first 15 digits are hash enough. */
static size_t
id_hash(const char *id)
{
	size_t h = 0;
	int i;

	for (i = 0; i < 15 && id[i] != '\0'; i++)
		h = h * 16 + (size_t)(id[i] <= '9' ? id[i] - '0' :
		    id[i] - 'a' + 10);
	return h;
}

/* id_grow - double the index when it holds as many as its size. */
static void
id_grow(struct sched *s)
{
	struct fair *f = s->fair;
	struct qmsg **nt, *m, *next;
	size_t ncap = f->mcap == 0 ? 1024 : f->mcap * 2, i, k;

	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		fair_oom();
	for (i = 0; i < f->mcap; i++)
		for (m = f->mtab[i]; m != NULL; m = next) {
			next = m->idnext;
			k = id_hash(m->env.id) & (ncap - 1);
			m->idnext = nt[k];
			nt[k] = m;
		}
	free(f->mtab);
	f->mtab = nt;
	f->mcap = ncap;
}

/* fair_index - a message new in memory: findable by id, no timer yet. */
void
fair_index(struct sched *s, struct qmsg *m)
{
	struct fair *f = s->fair;
	size_t k;

	tmr_init(&m->tmr, TMR_MSG);
	m->works = NULL;
	if (s->nmsgs >= f->mcap)
		id_grow(s);
	k = id_hash(m->env.id) & (f->mcap - 1);
	m->idnext = f->mtab[k];
	f->mtab[k] = m;
}

/* fair_find - the message in memory with this id, or NULL. */
struct qmsg *
fair_find(const struct sched *s, const char *id)
{
	const struct fair *f = s->fair;
	struct qmsg *m;

	if (f->mcap == 0)
		return NULL;
	for (m = f->mtab[id_hash(id) & (f->mcap - 1)]; m != NULL;
	    m = m->idnext)
		if (strcmp(m->env.id, id) == 0)
			return m;
	return NULL;
}

/* ---- waiting lines ------------------------------------------------- */

/* work_free - take a work out of its line and its message, and free it. */
static void
work_free(struct sched *s, struct work *w)
{
	struct work **wp;
	struct dom *d = w->d;
	size_t i;

	TAILQ_REMOVE(w->is_fresh ? &d->fresh : &d->retry, w, line);
	for (wp = &w->m->works; *wp != w; wp = &(*wp)->mnext)
		;
	*wp = w->mnext;
	for (i = 0; i < w->n; i++)
		w->m->env.rcpt[w->rcpt[i]].queued = 0;
	d->nwait -= w->n;
	if (w->rcpt != &w->one)
		free(w->rcpt);
	free(w);
	dom_maybe_free(s, d);
}

/* enqueue - recipient i of m joins its destination's line. */
static void
enqueue(struct sched *s, struct qmsg *m, size_t i, int is_fresh)
{
	struct dom *d = dom_get(s, m->env.rcpt[i].addr);
	struct work *w;
	size_t *nr;

	for (w = m->works; w != NULL && w->d != d; w = w->mnext)
		;
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			fair_oom();
		w->m = m;
		w->d = d;
		w->is_fresh = is_fresh;
		/* most wait alone: no second allocation for them */
		w->rcpt = &w->one;
		w->cap = 1;
		TAILQ_INSERT_TAIL(is_fresh ? &d->fresh : &d->retry, w, line);
		w->mnext = m->works;
		m->works = w;
	}
	if (w->n == w->cap) {
		if ((nr = reallocarray(w->rcpt == &w->one ? NULL : w->rcpt,
		    w->cap * 2, sizeof(*nr))) == NULL)
			fair_oom();
		if (w->rcpt == &w->one)
			nr[0] = w->one;
		w->rcpt = nr;
		w->cap *= 2;
	}
	w->rcpt[w->n++] = i;
	m->env.rcpt[i].queued = 1;
	d->nwait++;
	dom_activate(s, d);
}

/* unqueue - take recipient i of m out of whatever line it waits in. */
static struct dom *
unqueue(struct sched *s, struct qmsg *m, size_t i)
{
	struct work *w;
	struct dom *d;
	size_t k;

	for (w = m->works; w != NULL; w = w->mnext)
		for (k = 0; k < w->n; k++) {
			if (w->rcpt[k] != i)
				continue;
			d = w->d;
			memmove(&w->rcpt[k], &w->rcpt[k + 1],
			    (w->n - k - 1) * sizeof(*w->rcpt));
			w->n--;
			d->nwait--;
			m->env.rcpt[i].queued = 0;
			if (w->n == 0)
				work_free(s, w);
			return d;
		}
	m->env.rcpt[i].queued = 0;
	return NULL;
}

/* ---- timers -------------------------------------------------------- */

/* is_blocked - whether m has recipients waiting for a backed-off domain. */
static int
is_blocked(const struct qmsg *m)
{
	const struct work *w;

	for (w = m->works; w != NULL; w = w->mnext)
		if (w->d->state != DOM_OK)
			return 1;
	return 0;
}

/*
 * msg_wake - when m must be looked at next: its earliest idle
 * recipient's next attempt; the end of its lifetime if a recipient
 * could expire then (one that was tried, or that waits for a domain
 * that is backed off: a never-tried recipient of a reachable domain
 * gets its first attempt, as it would with a lifetime of 0); the time
 * its delay notice is due, or a failed notice is to be tried again.
 * Each of these times makes pop() do something, so a timer never fires
 * again and again for nothing.
 */
static time_t
msg_wake(const struct sched *s, const struct qmsg *m)
{
	time_t wake = TIME_NEVER, notice;
	int can_expire = is_blocked(m);
	size_t i;

	for (i = 0; i < m->env.nrcpt; i++) {
		const struct qrcpt *r = &m->env.rcpt[i];

		if (r->state != RCPT_PENDING || r->busy)
			continue;
		if (r->tries > 0)
			can_expire = 1;
		if (!r->queued && r->next < wake)
			wake = r->next;
	}
	if (can_expire && expire_deadline(s, m) < wake)
		wake = expire_deadline(s, m);
	notice = m->dsn_retry != 0 ? m->dsn_retry : delay_wake(s, m);
	return notice < wake ? notice : wake;
}

/*
 * fair_update - m's recipients changed: move its timer.  A held
 * message, or one qctl is deleting or bouncing, has no timer and waits
 * in no line.
 */
void
fair_update(struct sched *s, struct qmsg *m)
{
	time_t wake;

	if (m->env.held || m->ctl != 0) {
		fair_park(s, m);
		return;
	}
	wake = msg_wake(s, m);
	if (wake == TIME_NEVER)
		heap_del(&s->fair->timers, &m->tmr);
	else if (heap_set(&s->fair->timers, &m->tmr, wake) == -1)
		fair_oom();
}

/*
 * fair_rekey - every message's timer again, after the control files
 * changed (a shorter queue lifetime moves expiries closer).  Once per
 * SIGHUP, in proportion to the queue.
 */
void
fair_rekey(struct sched *s)
{
	struct qmsg *m;

	TAILQ_FOREACH(m, &s->msgs, entry)
		if (m->tmr.slot != TMR_OUT || m->works != NULL)
			fair_update(s, m);
}

/*
 * fair_add - a message now in memory: new mail (is_new) goes straight
 * into its destinations' lines for new mail; a message loaded from the
 * queue waits for its timer, like any retry.
 */
void
fair_add(struct sched *s, struct qmsg *m, int is_new, time_t now)
{
	size_t i;

	if (is_new && !m->env.held && m->ctl == 0)
		for (i = 0; i < m->env.nrcpt; i++) {
			struct qrcpt *r = &m->env.rcpt[i];

			if (r->state == RCPT_PENDING && !r->busy &&
			    !r->queued && r->next <= now)
				enqueue(s, m, i, 1);
		}
	fair_update(s, m);
}

/*
 * fair_park - take m out of its timer and its lines, so nothing of it
 * is started (a message put on hold, say); it stays findable by id,
 * and fair_add puts it back.
 */
void
fair_park(struct sched *s, struct qmsg *m)
{
	heap_del(&s->fair->timers, &m->tmr);
	while (m->works != NULL)
		work_free(s, m->works);
}

/* fair_forget - m leaves memory: out of its timer, lines and index. */
void
fair_forget(struct sched *s, struct qmsg *m)
{
	struct fair *f = s->fair;
	struct qmsg **mp;

	fair_park(s, m);
	if (f->mcap == 0)
		return;
	for (mp = &f->mtab[id_hash(m->env.id) & (f->mcap - 1)];
	    *mp != NULL; mp = &(*mp)->idnext)
		if (*mp == m) {
			*mp = m->idnext;
			break;
		}
}

/*
 * expire - m's lifetime is over: each recipient that could expire (see
 * msg_wake) fails for good.  Returns how many did.
 */
static size_t
expire(struct sched *s, struct qmsg *m, time_t now)
{
	struct qrcpt *r;
	struct dom *d;
	size_t i, n = 0;

	for (i = 0; i < m->env.nrcpt; i++) {
		r = &m->env.rcpt[i];
		if (r->state != RCPT_PENDING || r->busy)
			continue;
		d = NULL;
		if (r->queued) {
			struct work *w;
			size_t k;

			for (w = m->works; w != NULL && d == NULL;
			    w = w->mnext)
				for (k = 0; k < w->n; k++)
					if (w->rcpt[k] == i)
						d = w->d;
		}
		if (r->tries == 0 && (d == NULL || d->state == DOM_OK))
			continue;
		/* before unqueue, which may free d */
		expire_rcpt(s, m, i, r->tries > 0 || d->why == NULL ?
		    r->error : d->why, now);
		(void)unqueue(s, m, i);
		n++;
	}
	return n;
}

/*
 * pop - m's timer fired: expire what has outlived the queue lifetime,
 * put its due recipients in line, make the notices that are due, and
 * set the timer again.  Returns 1 if files were written, else 0.
 */
static int
pop(struct sched *s, struct qmsg *m, time_t now)
{
	size_t i, nexp = 0;
	time_t notice;

	if (now >= expire_deadline(s, m))
		nexp = expire(s, m, now);
	for (i = 0; i < m->env.nrcpt; i++) {
		struct qrcpt *r = &m->env.rcpt[i];

		if (r->state == RCPT_PENDING && !r->busy && !r->queued &&
		    r->next <= now)
			enqueue(s, m, i, 0);
	}
	notice = m->dsn_retry != 0 ? m->dsn_retry : delay_wake(s, m);
	if (nexp == 0 && notice > now) {
		fair_update(s, m);
		return 0;
	}
	sched_settle(s, m, now, nexp > 0);	/* may free m */
	return 1;
}

/*
 * fair_timers - act on up to max timers that are due.  Returns 1 if
 * more are due (the caller comes back without waiting), else 0.
 */
int
fair_timers(struct sched *s, time_t now, size_t max)
{
	struct tmr *t;
	size_t n = 0, settled = 0;

	while ((t = heap_top(&s->fair->timers)) != NULL && t->when <= now) {
		if (n++ >= max || settled >= SETTLE_MAX)
			return 1;
		heap_del(&s->fair->timers, t);
		if (t->what == TMR_DOM)
			dom_timer(s, dom_of(t));
		else
			settled += pop(s, msg_of(t), now);
	}
	return 0;
}

/*
 * fair_blocked - d has just been backed off: its waiting recipients may
 * now expire at their message's lifetime, so their timers say so.
 * Once per backoff, in proportion to what waits for d.
 */
void
fair_blocked(struct sched *s, struct dom *d)
{
	struct work *w;

	TAILQ_FOREACH(w, &d->fresh, line)
		fair_update(s, w->m);
	TAILQ_FOREACH(w, &d->retry, line)
		fair_update(s, w->m);
}

/* fair_next_wake - milliseconds until the earliest timer, at most a minute. */
int
fair_next_wake(const struct sched *s, time_t now)
{
	const struct tmr *t = heap_top(&s->fair->timers);
	time_t soonest = now + WAKE_MAX;

	if (t != NULL && t->when < soonest)
		soonest = t->when;
	return soonest <= now ? 0 : (int)(soonest - now) * 1000;
}

/* ---- dispatch ------------------------------------------------------ */

/* next_work - the head of d's line for new mail or for retries, in turn. */
static struct work *
next_work(struct dom *d)
{
	struct work *fresh = TAILQ_FIRST(&d->fresh);
	struct work *retry = TAILQ_FIRST(&d->retry);

	if (fresh == NULL || retry == NULL)
		return fresh != NULL ? fresh : retry;
	d->turn = !d->turn;
	return d->turn ? retry : fresh;
}

/* start_one - start one delivery from the head of d's lines. */
static int
start_one(struct sched *s, struct dom *d)
{
	struct work *w = next_work(d);
	struct qmsg *m = w->m;
	int is_probe = d->kind == SPAWN_REMOTE && d->state == DOM_PROBE;
	size_t n, k;

	/* a local request holds one recipient; a remote one the domain's */
	n = d->kind == SPAWN_LOCAL ? 1 : w->n;
	if (n > SPAWN_RCPT_MAX)
		n = SPAWN_RCPT_MAX;
	if (sched_start(s, m, w->rcpt, n, d->kind, d, is_probe) == -1)
		return -1;
	for (k = 0; k < n; k++)
		m->env.rcpt[w->rcpt[k]].queued = 0;
	memmove(w->rcpt, w->rcpt + n, (w->n - n) * sizeof(*w->rcpt));
	w->n -= n;
	d->nwait -= n;
	dom_started(s, d, is_probe, m);
	if (w->n == 0)
		work_free(s, w);
	fair_update(s, m);
	return 0;
}

/*
 * fair_dispatch - start deliveries while there are slots: destinations
 * in turn, one delivery each, until the slots or the destinations that
 * can start run out.  A destination that cannot start leaves the active
 * list; whatever lets it start again (a result, a timer, new mail) puts
 * it back.
 */
void
fair_dispatch(struct sched *s)
{
	struct dom_list *list;
	struct dom *d;
	int kind;

	for (kind = 0; kind < 2; kind++) {
		list = &s->fair->active[kind];
		while ((long long)s->running[kind] < s->concurrency[kind] &&
		    (d = TAILQ_FIRST(list)) != NULL) {
			TAILQ_REMOVE(list, d, act);
			d->is_active = 0;
			if (!dom_can_start(s, d))
				continue;
			if (start_one(s, d) == -1) {
				log_warnx("out of memory: deliveries wait");
				dom_activate(s, d);
				return;
			}
			dom_activate(s, d);
		}
	}
}

/*
 * fair_result - a delivery to d has ended with res: whether it reached
 * the domain decides the domain's state (sched_dom.c).
 */
void
fair_result(struct sched *s, struct dom *d, int is_probe,
    const struct spawn_res *res, time_t now)
{
	const char *why = NULL;
	int reached = 0;
	size_t i;

	for (i = 0; i < res->n; i++) {
		if (res->st[i].status != SPAWN_TEMP ||
		    !dom_is_connection_error(res->st[i].text))
			reached = 1;
		else if (why == NULL)
			why = res->st[i].text;
	}
	if (res->n == 0)
		reached = 1;
	dom_result(s, d, is_probe, reached, why != NULL ? why : "", now);
}
