/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sched - the scheduler's shared state, split over sched.c (the loop
 * and deliveries), sched_pickup.c (drop/ intake), sched_recover.c
 * (start-up after a crash), sched_bounce.c (bounces, delay notices
 * and double bounces, composed by queue_dsn.c), sched_expire.c (the
 * queue lifetime), sched_ctl.c (the control FIFO qctl writes to),
 * sched_commit.c (new messages into the queue, in groups),
 * sched_express.c (new messages delivered before their commit),
 * sched_pool.c (finished queue files kept for new messages),
 * sched_fair.c and sched_dom.c (what is due, and who goes next: timers,
 * destinations, fairness, backoff of unreachable domains) and
 * sched_heap.c (the timer heap).
 */
#ifndef QPOST_SCHED_H
#define QPOST_SCHED_H

#include <sys/queue.h>
#include <sys/types.h>
#include <dirent.h>
#include <stdint.h>
#include <time.h>

#include "atomic.h"
#include "buf.h"
#include "queue_env.h"
#include "queue_trust.h"
#include "sched_heap.h"
#include "srs.h"

#define TIME_NEVER	((time_t)INT64_MAX)	/* no timer */

struct dom;
struct fair;
struct spawn_res;
struct work;

struct qmsg {
	TAILQ_ENTRY(qmsg)	 entry;
	struct qenv		 env;
	size_t			 busy;	/* recipients being delivered */
	struct tmr		 tmr;	/* sched_fair.c: when it is due */
	struct qmsg		*idnext;	/* sched_fair.c: the id index */
	struct work		*works;	/* sched_fair.c: where it waits */
	int			 ctl;	/* CTL_*: qctl waits for deliveries */
	time_t			 dsn_retry;	/* a failed notice waits */
	int			 is_unsettled;	/* sched.c: results to save */
	struct express		*express;	/* not committed yet */
};
TAILQ_HEAD(qmsg_list, qmsg);

/*
 * sched_express.c: a message delivered before it is committed.  Its
 * drop file still holds it, and is removed only once every recipient
 * is done or the message is committed after all.
 */
struct express {
	TAILQ_ENTRY(express)	 entry;
	struct qmsg		*msg;
	uid_t			 drop_uid;	/* the drop file's, for spare/ */
	off_t			 drop_size;
	time_t			 since;
};
TAILQ_HEAD(express_list, express);

#define STUCK_MAX	64	/* drop files whose unlink failed, remembered */

struct sched {
	int		 queue_fd, drop_fd, mess_fd, env_fd, tmp_fd;
	DIR		*drop_dir;	/* drop/, listed at every turn */
	int		 spare_fd;	/* -1: no spare/, drop files removed */
	int		 trigger_fd, trigger_keep_fd;
	int		 ctl_fd, ctl_keep_fd;	/* -1: no control FIFO */
	struct trust	 trust;
	struct qmsg_list msgs;
	size_t		 nmsgs;
	long long	 concurrency[2];	/* local, remote */
	size_t		 running[2];
	long long	 lifetime, retry_min, retry_max, cleanup_age;
	long long	 delay_notice, bounce_max;
	long long	 soft_bounce;	/* 1: permanent failures wait */
	time_t		 last_cleanup;
	long long	 concurrency_domain;	/* remote, per domain */
	struct fair	*fair;
	/*
	 * drop files taken into the queue whose unlink failed: never taken
	 * again (the message may be done and gone by the next scan, and
	 * would be delivered twice), their unlink retried each scan
	 */
	char		 stuck[STUCK_MAX][QID_LEN + 1];
	size_t		 nstuck;
	struct express_list express;	/* oldest first */
	size_t		 nexpress, express_max;
	struct timespec	 started;	/* drop files before: is_older */
	struct srs_key	 srs;		/* control/srskey, from qpost-start */
	int		 has_srs;
	struct sa	 srs_domain;	/* control/srsdomain, else me */
};

#define SPAWN_LOCAL	0
#define SPAWN_REMOTE	1

typedef int (*sched_writer)(void *, struct buf *);

/* sched.c */
void	kill_point(const char *);
int	sched_save(struct sched *, struct qmsg *);
struct qmsg *sched_add(struct sched *, struct qenv *);
int	sched_save_env(struct sched *, struct qmsg *, int);
int	sched_remove_files(struct sched *, struct qmsg *);
int	sched_finish(struct sched *, struct qmsg *);
void	sched_forget(struct sched *, struct qmsg *);
long long sched_backoff(const struct sched *, unsigned);
int	sched_start(struct sched *, struct qmsg *, const size_t *, size_t,
	    int, struct dom *, int);
void	sched_settle(struct sched *, struct qmsg *, time_t, int);

/* sched_commit.c: a new message on its way into the queue */
struct qnew {
	struct qenv	env;
	struct atomic	mess, envf;	/* tmp/m.<id>, tmp/e.<id> */
	int		state;
};
#define QNEW_FAILED	0	/* nothing of it on disk */
#define QNEW_WRITTEN	1	/* both temporary files written */
#define QNEW_MESS	2	/* mess/<id> in place */
#define QNEW_ENV	3	/* env/<id> in place: durable */
#define QNEW_QUEUED	4	/* in memory too: env taken over */
#define QNEW_EXPRESS	5	/* queued, not committed: sched_express.c */
int	qnew_write(struct sched *, struct qnew *, sched_writer, void *,
	    const struct timespec *, int);
size_t	qnew_commit(struct sched *, struct qnew *, size_t);
int	sched_commit(struct sched *, struct qenv *, sched_writer, void *,
	    const struct timespec *);

/* sched_fair.c */
void	fair_init(struct sched *);
void	fair_index(struct sched *, struct qmsg *);
struct qmsg *fair_find(const struct sched *, const char *);
void	fair_add(struct sched *, struct qmsg *, int, time_t);
void	fair_update(struct sched *, struct qmsg *);
void	fair_park(struct sched *, struct qmsg *);
void	fair_rekey(struct sched *);
size_t	fair_flush_domain(struct sched *, const char *);
void	fair_forget(struct sched *, struct qmsg *);
int	fair_timers(struct sched *, time_t, size_t);
void	fair_dispatch(struct sched *);
void	fair_result(struct sched *, struct dom *, int,
	    const struct spawn_res *, time_t);
int	fair_next_wake(const struct sched *, time_t);

/* sched_pool.c */
#define POOL_MESS	0
#define POOL_ENV	1
int	pool_is_name(const char *);
int	pool_keep(struct sched *, int, int, const char *);
int	pool_begin(struct sched *, int, struct atomic *, const char *, int,
	    const char *, mode_t);
void	pool_drain(struct sched *);

/* sched_pickup.c */
int	pickup_scan(struct sched *, size_t);
void	pickup_remove(struct sched *, const char *, uid_t, off_t);
void	pickup_queued(struct sched *, const char *);
void	pickup_cleanup(struct sched *);

/* sched_express.c */
#define EXPRESS_MAX	200	/* messages in flight uncommitted, at most */
#define EXPRESS_AGE	5	/* seconds before one is committed anyway */
int	express_room(const struct sched *);
int	express_start(struct sched *, struct qnew *, uid_t, off_t, time_t);
size_t	express_commit(struct sched *, struct qmsg **, size_t);
int	express_age(struct sched *, time_t);
void	express_done(struct sched *, struct qmsg *);
void	express_forget(struct sched *, struct qmsg *);

/* sched_spare.c */
void	spare_open(struct sched *);
int	spare_keep_or_remove(struct sched *, const char *, uid_t, off_t);
void	spare_cleanup(struct sched *);

/* sched_recover.c */
void	recover(struct sched *);
int	recover_step(struct sched *, size_t);
struct qmsg *recover_find(struct sched *, const char *);

/* sched_ctl.c */
#define CTL_DELETE	0x1	/* remove once no delivery runs */
#define CTL_BOUNCE	0x2	/* fail what is pending once none runs */
void	sched_ctl_open(struct sched *);
void	sched_ctl_read(struct sched *, time_t);
void	sched_reload(struct sched *);
int	sched_ctl_result(struct sched *, struct qmsg *);

/* sched_bounce.c */
int	bounce_due(const struct qmsg *);
int	bounce_make(struct sched *, struct qmsg *);
int	delay_check(struct sched *, struct qmsg *, time_t);
time_t	delay_wake(const struct sched *, const struct qmsg *);
void	rfc5322_date(char *, size_t, time_t);

/* sched_forward.c */
struct spawn_status;
/* sched_srs.c */
void	sched_srs_load(struct sched *);
int	sched_srs_domain(struct sched *);
int	sched_srs_is_ours(const struct sched *, const char *);
const char *sched_srs_sender(const struct sched *, const char *, char *,
	    size_t);
const char *sched_srs_back(const struct sched *, const char *, char *,
	    size_t);

int	forward_make(struct sched *, const struct qmsg *, size_t,
	    struct spawn_status *);

/* sched_expire.c */
time_t	expire_deadline(const struct sched *, const struct qmsg *);
void	expire_rcpt(struct sched *, struct qmsg *, size_t, const char *,
	    time_t);

#endif
