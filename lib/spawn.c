/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawn - see spawn.h.
 */
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"

/*
 * spawn_child - run child(arg) in a new process, which must end in
 * execve or _exit: its pid, or -1.  vfork, not fork: the child only
 * sets descriptors and ids and execs, and a fork's copy of the page
 * tables and the copy-on-write faults after it cost more CPU than
 * the child's own work on a virtual machine (issue 10).  Every signal
 * stays blocked until the child has reset the handlers it inherits
 * (spawn_child_signals), so that no handler of ours runs in it while
 * it shares our memory.
 */
static pid_t spawn_parent;	/* who called spawn_child, for the child */

pid_t
spawn_child(void (*child)(void *), void *arg)
{
	sigset_t all, old;
	pid_t pid;

	spawn_parent = getpid();
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0) {
		child(arg);
		_exit(EXIT_TEMP);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* spawn_child_signals - in the child: default dispositions, no mask */
void
spawn_child_signals(void)
{
	sigset_t none;

	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * spawn_child_tie - in the child, after its last change of ids (which
 * clears it): sig when the parent dies, and _exit now if it has died
 * already.  A child whose parent is gone works for nobody: its result
 * has no reader, and whatever it finishes is done again by the next
 * parent (a second copy of a message).
 */
void
spawn_child_tie(int sig)
{
	spawn_tie(spawn_parent, sig);
}

/* spawn_tie - the same, in a forked child whose parent is parent */
void
spawn_tie(pid_t parent, int sig)
{
	if (prctl(PR_SET_PDEATHSIG, sig) == -1 || getppid() != parent)
		_exit(EXIT_TEMP);
}
