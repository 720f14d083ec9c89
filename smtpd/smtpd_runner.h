/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_runner - the queue runner: a child smtpd forks before it
 * enters its sandbox, which runs qinject -Q for it, so that qinject
 * (and the control/filter program qinject may run) never inherit
 * smtpd's seccomp filter and smtpd's filter needs no execve.  smtpd
 * sends it the three pipe ends qinject gets (fds 0, 1 and 3) over a
 * socketpair (SCM_RIGHTS); it answers with qinject's pid, then with its
 * wait status.  See qpost-smtpd(8), SANDBOX.
 *
 * Programs that run no runner (sendmail) fork and exec qinject
 * themselves through qinject_exec, as smtpd once did.
 */
#ifndef QPOST_SMTPD_RUNNER_H
#define QPOST_SMTPD_RUNNER_H

#include <sys/types.h>

#define RUNNER_REQ_MAX	4096	/* bytes of one request */
#define RUNNER_VALUE_MAX 255	/* bytes of one environment value */

int	runner_start(void);
	/* smtpd, before the sandbox: fork the runner, unless the listener
	   attached its own.  0, or -1 (logged): every message then gets a
	   temporary failure */
int	runner_shared(pid_t *);
	/* smtpd -L: fork the runner its sessions share: the socket to hand
	   them over on (and its pid), or -1 (logged) */
int	runner_hand_over(int);
	/* the listener, for a new session: a socketpair, one end handed to
	   the shared runner on the given socket; the session's end, or -1
	   when the runner has gone */
void	runner_attach(int);
	/* in the session: its end of the shared runner's socket */
int	runner_active(void);
	/* 1 when qinject goes through a runner (smtpd), 0 when the caller
	   forks it itself (sendmail) */
int	runner_spawn(int, int, int, int);
	/* the message, envelope and id pipe ends qinject reads and writes,
	   and the SMTPUTF8 flag, to the runner: 0, or -1 (logged) when the
	   runner is gone; the caller closes its copies either way.  Whether
	   qinject started, runner_wait says */
int	runner_alive(void);
	/* 0 when the runner has gone (its end of the socket closed) */
int	runner_wait(int *, pid_t *);
	/* the wait status and pid of the qinject runner_spawn asked for:
	   0, or -1 (logged) when it could not be started or the runner
	   died first */
void	qinject_exec(int, int, int, int) __attribute__((noreturn));
	/* in a fresh child: the three pipe ends on fds 0, 1 and 3, the
	   SMTPUTF8 flag, exec qinject -Q */

/* the request's parser, for the runner and its tests */
int	runner_req_parse(const char *, size_t);

#endif
