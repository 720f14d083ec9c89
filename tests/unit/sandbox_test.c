/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sandbox_test - lib/sandbox.c: in smtpd's filter, sockets of the local
 * and IP families open, every other family is refused with
 * EAFNOSUPPORT (what getaddrinfo's netlink probe copes with), both with
 * a filter built on the spot and with one prepared ahead as smtpd -L
 * does, and a call outside the list ends the process with SIGSYS.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <atf-c.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "sandbox.h"
#include "lsan_atf.h"

/* in_sandbox - run f in a child inside smtpd's filter; its wait status */
static int
in_sandbox(int prepare, int (*f)(void))
{
	int status;
	pid_t pid;

	if (prepare)
		sandbox_prepare(SANDBOX_SMTPD);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		if (sandbox_enter(SANDBOX_SMTPD) != 1)
			_exit(90);
		_exit(f());
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
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

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, socket_families);
	ATF_TP_ADD_TC(tp, outside_killed);
	return atf_no_error();
}
