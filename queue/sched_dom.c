/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched_dom - destinations: each remote domain with mail waiting or
 * deliveries under way, and one for every local mailbox.  A remote
 * domain runs at most control/concurrencyperdomain deliveries at once.
 *
 * A remote domain that cannot be reached is backed off as a whole.
 * When a delivery to it fails temporarily for a reason that is the
 * connection's, not the recipients' (remote's texts 4.4.1 no answer,
 * 4.4.2 connection lost, 4.4.3 DNS or routing failure), nothing more
 * starts for the domain until a retry time of its own, doubling with
 * each failure in a row between control/retrymin and retrymax, with
 * jitter.  Then one delivery goes first, the probe; if the domain
 * answers (anything but such a failure) the rest is released, else it
 * is backed off again for longer.  Kept in memory only: after a
 * restart the first failure teaches it again.
 *
 *	state	  event			  next state
 *	ok	  connection failure	  backoff (failures 1)
 *	backoff	  timer, mail waits	  probe
 *	backoff	  timer, nothing waits	  forgotten
 *	probe	  probe fails		  backoff (failures + 1)
 *	any	  a delivery reached it	  ok (failures 0)
 *
 * A failure of a delivery started before the backoff began changes
 * nothing: the backoff it would start is already running.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sched_fair.h"

static const char *state_name[] = { "ok", "backoff", "probe" };

/* hash - FNV-1a of a domain name, which is lower case already. */
static size_t
hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* grow - double the hash table once it holds as many as its size. */
static void
grow(struct fair *f)
{
	struct dom **nt, *d, *next;
	size_t ncap = f->dcap == 0 ? 64 : f->dcap * 2, i, k;

	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		fair_oom();
	for (i = 0; i < f->dcap; i++)
		for (d = f->dtab[i]; d != NULL; d = next) {
			next = d->hnext;
			k = hash(d->name) & (ncap - 1);
			d->hnext = nt[k];
			nt[k] = d;
		}
	free(f->dtab);
	f->dtab = nt;
	f->dcap = ncap;
}

/* dom_new - an idle destination of kind named name. */
struct dom *
dom_new(const char *name, int kind)
{
	struct dom *d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->name = strdup(name)) == NULL)
		fair_oom();
	tmr_init(&d->tmr, TMR_DOM);
	d->kind = kind;
	d->state = DOM_OK;
	TAILQ_INIT(&d->fresh);
	TAILQ_INIT(&d->retry);
	return d;
}

/*
 * dom_get - the destination of a recipient's address: the local one
 * if its domain is ours, else its remote domain's, made if need be.
 */
struct dom *
dom_get(struct sched *s, const char *addr)
{
	struct fair *f = s->fair;
	const char *at = strrchr(addr, '@');
	char name[256];
	struct dom *d;
	size_t i, k;

	if (at != NULL && trust_is_local_domain(&s->trust, at + 1))
		return f->local;
	at = at != NULL ? at + 1 : "";
	for (i = 0; at[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)at[i]);
	name[i] = '\0';
	if (f->dcap > 0)
		for (d = f->dtab[hash(name) & (f->dcap - 1)]; d != NULL;
		    d = d->hnext)
			if (strcmp(d->name, name) == 0)
				return d;
	if (f->ndom >= f->dcap)
		grow(f);
	d = dom_new(name, SPAWN_REMOTE);
	k = hash(name) & (f->dcap - 1);
	d->hnext = f->dtab[k];
	f->dtab[k] = d;
	f->ndom++;
	return d;
}

/* dom_can_start - mail waits and the limits and state let one start. */
int
dom_can_start(const struct sched *s, const struct dom *d)
{
	if (TAILQ_EMPTY(&d->fresh) && TAILQ_EMPTY(&d->retry))
		return 0;
	if (d->kind == SPAWN_LOCAL)
		return 1;
	if ((long long)d->running >= s->concurrency_domain)
		return 0;
	return d->state == DOM_OK || (d->state == DOM_PROBE &&
	    !d->is_probing);
}

/* dom_activate - put d in line for a slot if it can start one. */
void
dom_activate(struct sched *s, struct dom *d)
{
	if (!d->is_active && dom_can_start(s, d)) {
		TAILQ_INSERT_TAIL(&s->fair->active[d->kind], d, act);
		d->is_active = 1;
	}
}

/*
 * dom_maybe_free - forget a remote domain with nothing waiting, nothing
 * under way and no backoff to remember.
 */
void
dom_maybe_free(struct sched *s, struct dom *d)
{
	struct fair *f = s->fair;
	struct dom **dp;

	if (d == f->local || d->running > 0 || d->nwait > 0 ||
	    d->state == DOM_BACKOFF)
		return;
	if (d->state != DOM_OK)
		log_info("domain=%s forgotten: no mail waits for it",
		    d->name);
	if (d->is_active)
		TAILQ_REMOVE(&f->active[d->kind], d, act);
	for (dp = &f->dtab[hash(d->name) & (f->dcap - 1)]; *dp != d;
	    dp = &(*dp)->hnext)
		;
	*dp = d->hnext;
	f->ndom--;
	heap_del(&f->timers, &d->tmr);
	free(d->name);
	free(d->why);
	free(d);
}

/* dom_started - a delivery to d has started; a probe says so. */
void
dom_started(struct sched *s, struct dom *d, int is_probe,
    const struct qmsg *m)
{
	(void)s;
	d->running++;
	if (is_probe) {
		d->is_probing = 1;
		log_info("domain=%s probe id=%s waiting=%zu", d->name,
		    m->env.id, d->nwait);
	}
}

/*
 * dom_is_connection_error - whether a temporary failure's text says the
 * domain could not be reached at all (remote's 4.4.1, 4.4.2, 4.4.3),
 * rather than something about this message or these recipients.
 */
int
dom_is_connection_error(const char *text)
{
	return strncmp(text, "4.4.1 ", 6) == 0 ||
	    strncmp(text, "4.4.2 ", 6) == 0 ||
	    strncmp(text, "4.4.3 ", 6) == 0;
}

/* set_why - keep the connection error for logs and expired recipients. */
static void
set_why(struct dom *d, const char *why)
{
	char *w;

	if ((w = strdup(why)) == NULL)
		return;		/* the old text will do */
	free(d->why);
	d->why = w;
}

/*
 * dom_result - a delivery to d ended: is_probe if it was the probe,
 * reached if the domain answered; why is a connection error's text.
 */
void
dom_result(struct sched *s, struct dom *d, int is_probe, int reached,
    const char *why, time_t now)
{
	int was = d->state;
	long long delay;

	d->running--;
	if (is_probe)
		d->is_probing = 0;
	if (d->kind == SPAWN_LOCAL)
		return;
	if (reached) {
		if (was != DOM_OK) {
			heap_del(&s->fair->timers, &d->tmr);
			log_info("domain=%s state=ok was=%s waiting=%zu: "
			    "released", d->name, state_name[was], d->nwait);
		}
		d->state = DOM_OK;
		d->failures = 0;
	} else if (was == DOM_OK || (was == DOM_PROBE && is_probe)) {
		set_why(d, why);
		if (d->failures < 1000)
			d->failures++;
		delay = sched_backoff(s, d->failures);
		d->state = DOM_BACKOFF;
		if (heap_set(&s->fair->timers, &d->tmr, now + delay) == -1)
			fair_oom();
		log_info("domain=%s state=backoff failures=%u next=+%lld "
		    "waiting=%zu text=\"%s\"", d->name, d->failures, delay,
		    d->nwait, why);
		if (was == DOM_OK)
			fair_blocked(s, d);
	}
	dom_activate(s, d);
	dom_maybe_free(s, d);
}

/* dom_timer - d's backoff is over: a probe goes first, if mail waits. */
void
dom_timer(struct sched *s, struct dom *d)
{
	if (d->nwait == 0 && d->running == 0) {
		d->state = DOM_PROBE;
		dom_maybe_free(s, d);
		return;
	}
	d->state = DOM_PROBE;
	log_info("domain=%s state=probe failures=%u waiting=%zu", d->name,
	    d->failures, d->nwait);
	dom_activate(s, d);
}

/*
 * fair_flush_domain - forget the backoff of the remote domain name
 * (any case), or of every domain if name is NULL, as an admin's flush
 * asks: its waiting mail starts at once, within the per-domain limit.
 * Returns how many domains were released.
 */
size_t
fair_flush_domain(struct sched *s, const char *name)
{
	struct fair *f = s->fair;
	struct dom *d, *next;
	size_t i, n = 0;
	int was;

	for (i = 0; i < f->dcap; i++)
		for (d = f->dtab[i]; d != NULL; d = next) {
			next = d->hnext;	/* d may be freed below */
			if (d->state == DOM_OK ||
			    (name != NULL && strcasecmp(d->name, name) != 0))
				continue;
			was = d->state;
			heap_del(&f->timers, &d->tmr);
			d->state = DOM_OK;
			d->failures = 0;
			log_info("domain=%s state=ok was=%s waiting=%zu: flushed",
			    d->name, state_name[was], d->nwait);
			n++;
			dom_activate(s, d);
			dom_maybe_free(s, d);
		}
	return n;
}
