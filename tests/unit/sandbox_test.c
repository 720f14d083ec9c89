/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sandbox_test - lib/sandbox.c: in smtpd's filter, sockets of the local
 * and IP families open, every other family is refused with
 * EAFNOSUPPORT (what getaddrinfo's netlink probe copes with), both with
 * a filter built on the spot and with one prepared ahead as smtpd -L
 * does, and a call outside the list ends the process with SIGSYS.
 * smtpd -L's acceptor's filter: fork (with glibc's flags only), wait4
 * and naming the process allowed; a child inherits it, and smtpd's own
 * is then not loaded over it; sandbox_no_fork leaves a process unable
 * to fork.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <atf-c.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "lsan_atf.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1	/* its filters allow clone and prctl whole */
#endif

/* in_role - run f in a child inside role's filter; its wait status */
static int
in_role(enum sandbox_role role, int prepare, int (*f)(void))
{
	int status;
	pid_t pid;

	if (prepare)
		sandbox_prepare(role);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		if (sandbox_enter(role) != 1)
			_exit(90);
		_exit(f());
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
}

/* in_sandbox - run f in a child inside smtpd's filter; its wait status */
static int
in_sandbox(int prepare, int (*f)(void))
{
	return in_role(SANDBOX_SMTPD, prepare, f);
}

/* filters - Seccomp_filters of /proc/self/status: how many are stacked */
static int
filters(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int n = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	if (f != NULL)
		(void)fclose(f);
	return n;
}

/*
 * acceptor - what smtpd -L's acceptor and its sessions do: name a
 * child, fork it and reap it; in the child smtpd's filter is "entered"
 * without a second one stacked on the inherited one
 */
static int
acceptor(void)
{
	int status;
	pid_t pid;

	if (prctl(PR_SET_NAME, "qp-test", 0, 0, 0) == -1)
		return 1;
	if ((pid = fork()) == -1)
		return 2;
	if (pid == 0)
		_exit(sandbox_enter(SANDBOX_SMTPD) == 1 && filters() == 1 ?
		    0 : 3);
	if (waitpid(pid, &status, 0) != pid)
		return 4;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}

/* raw_fork - clone with fork's flags but not glibc's: not allowed */
static int
raw_fork(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	return 0;
}

/* dumpable - a prctl other than naming the process: not allowed */
static int
dumpable(void)
{
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

/* no_fork - after sandbox_no_fork, fork fails with EAGAIN */
static int
no_fork(void)
{
	pid_t pid;

	if (sandbox_no_fork() == -1)
		return 1;
	if ((pid = fork()) == 0)
		_exit(0);
	return pid == -1 && errno == EAGAIN ? 0 : 2;
}

/* refused - socket(family) fails with EAFNOSUPPORT */
static int
refused(int family)
{
	errno = 0;
	return socket(family, SOCK_DGRAM, 0) == -1 && errno == EAFNOSUPPORT;
}

/* opens - socket(family) gives a descriptor */
static int
opens(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd == -1)
		return 0;
	(void)close(fd);
	return 1;
}

static int
families(void)
{
	static const int no[] = { AF_UNSPEC, 3, 4, 5, 9, 11, AF_NETLINK,
	    AF_PACKET, AF_ALG, AF_VSOCK, AF_MAX - 1, AF_MAX, AF_MAX + 20 };
	size_t i;

	if (!opens(AF_UNIX) || !opens(AF_INET) || !opens(AF_INET6))
		return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (!refused(no[i]))
			return 10 + (int)i;
	return 0;
}

static int
outside_list(void)
{
	(void)syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL);
	return 0;
}

ATF_TC_WITHOUT_HEAD(socket_families);
ATF_TC_BODY(socket_families, tc)
{
	int prepare, status;

	for (prepare = 0; prepare <= 1; prepare++) {
		status = in_sandbox(prepare, families);
		ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "prepared %d: status %#x (exit 1: a family that must "
		    "open did not; 10+i: no[i] was not refused; 90: no "
		    "filter)", prepare, status);
	}
}

ATF_TC_WITHOUT_HEAD(outside_killed);
ATF_TC_BODY(outside_killed, tc)
{
	int status = in_sandbox(1, outside_list);

	ATF_CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "status %#x", status);
}

ATF_TC_WITHOUT_HEAD(accept_forks);
ATF_TC_BODY(accept_forks, tc)
{
	int status = in_role(SANDBOX_ACCEPT, 1, acceptor);

	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x (exit 1: naming refused, 2: fork refused, 3: the "
	    "child stacked a filter or has none, 90: no filter)", status);
}

ATF_TC_WITHOUT_HEAD(accept_refuses);
ATF_TC_BODY(accept_refuses, tc)
{
	int status;

#ifdef SANITIZER_BUILD
	atf_tc_skip("the sanitizer build allows clone and prctl whole");
#endif
	status = in_role(SANDBOX_ACCEPT, 1, raw_fork);
	ATF_CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "clone without glibc's flags: status %#x", status);
	status = in_role(SANDBOX_ACCEPT, 1, dumpable);
	ATF_CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "prctl(PR_SET_DUMPABLE): status %#x", status);
}

ATF_TC(no_fork_limit);
ATF_TC_HEAD(no_fork_limit, tc)
{
	atf_tc_set_md_var(tc, "descr", "sandbox_no_fork: fork fails after "
	    "it (root is not bound by the process limit)");
	atf_tc_set_md_var(tc, "require.user", "unprivileged");
}
ATF_TC_BODY(no_fork_limit, tc)
{
	int status;

#ifdef SANITIZER_BUILD
	atf_tc_skip("the sanitizer build keeps fork for LeakSanitizer");
#endif
	status = in_role(SANDBOX_ACCEPT, 1, no_fork);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x (exit 1: setrlimit failed, 2: fork did not fail "
	    "with EAGAIN)", status);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, socket_families);
	ATF_TP_ADD_TC(tp, outside_killed);
	ATF_TP_ADD_TC(tp, accept_forks);
	ATF_TP_ADD_TC(tp, accept_refuses);
	ATF_TP_ADD_TC(tp, no_fork_limit);
	return atf_no_error();
}
