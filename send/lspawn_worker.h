/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * lspawn_worker - lspawn's pool of `local -W' workers, one per uid and
 * gid: started, handed deliveries, heard from, and let go.
 */
#ifndef QPOST_LSPAWN_WORKER_H
#define QPOST_LSPAWN_WORKER_H

#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "local_worker.h"

#define WORKER_IDLE	10	/* seconds a worker may wait for work */
#define WORKER_USES	1000	/* deliveries before a worker is let go */

struct worker {
	struct worker	*next;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	int		 fd;		/* our end of the pair; -1 once closed */
	size_t		 running;	/* deliveries it has not reported */
	size_t		 served;
	time_t		 idle_since;
};

extern struct worker	*workers;

void	workers_setup(const char *);
	/* local's path; reads control/localworkers (0: no workers) */
struct worker *worker_get(uid_t, gid_t, char *const[]);
	/* a worker for the uid and gid, started with that environment if
	   need be; NULL when none can be had (exec local instead) */
int	worker_send(struct worker *, uint64_t, char *const[], char *const[],
	    int, int);
	/* ask for a delivery: tag, argv, envp, message fd, pipe fd: 0, or
	   -1 (not sent; the worker is let go if it is broken) */
int	worker_report(struct worker *, struct worker_report *);
	/* the next report: 1, 0 when there is none yet, -1 when the
	   worker is gone or broke the protocol (let go) */
void	worker_done(struct worker *);
	/* one of its deliveries was reported */
void	worker_close(struct worker *);
	/* let it go: it finishes its children and exits */
struct worker *worker_reaped(pid_t, int);
	/* the worker that was pid, taken off the list (the caller takes
	   its last reports, fails the rest and frees it), or NULL; logs
	   how it ended */
int	workers_idle(time_t);
	/* let go of the idle and the worn; ms until the next is due, or
	   -1 for none */
void	workers_stop(int);
	/* at the end: close every worker, signal those with work */

#endif
