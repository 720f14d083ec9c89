/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * runner_test - tests of smtpd/smtpd_runner.c, smtpd's queue runner:
 * the request parser against hostile requests (it is the one door out
 * of smtpd's sandbox), and a real runner running a stand-in qinject
 * (a shell script in $QPOST_LIBEXEC): the pipes reach it on fds 0, 1
 * and 3, only the listed variables pass, its exit status comes back,
 * and a runner that dies takes its qinject with it and is reported.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "smtpd_runner.h"
#include "lsan_atf.h"

#define R(s)	(s), sizeof(s) - 1

ATF_TC_WITHOUT_HEAD(parse_good);
ATF_TC_BODY(parse_good, tc)
{
	ATF_CHECK_EQ(runner_req_parse(R("Q0")), 0);
	ATF_CHECK_EQ(runner_req_parse(R("Q1")), 1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEIP=192.0.2.1\0")), 0);
	ATF_CHECK_EQ(runner_req_parse(R("Q1TCPREMOTEIP=::1\0RELAYCLIENT=\0"
	    "REMOTE_PORT=25\0")), 1);
}

ATF_TC_WITHOUT_HEAD(parse_hostile);
ATF_TC_BODY(parse_hostile, tc)
{
	char big[RUNNER_REQ_MAX + 2], val[400];

	ATF_CHECK_EQ(runner_req_parse(R("")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("X0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q2")), -1);
	/* names off the list: a way out of the sandbox */
	ATF_CHECK_EQ(runner_req_parse(R("Q0LD_PRELOAD=/tmp/x.so\0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0QPOST_LIBEXEC=/tmp\0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0QPOST_FILTERED=0123456789abcdef"
	    "\0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEIPX=1\0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEI=1\0")), -1);
	/* form: no "=", no final NUL, a repeat, an empty entry */
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEIP\0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEIP=1")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEIP=1\0TCPREMOTEIP=2\0")),
	    -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0\0")), -1);
	/* values: control bytes, 8-bit bytes, too long */
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEHOST=a\nb\0")), -1);
	ATF_CHECK_EQ(runner_req_parse(R("Q0TCPREMOTEHOST=\xc3\xa9\0")), -1);
	memset(val, 'a', sizeof(val));
	snprintf(big, sizeof(big), "Q0TCPREMOTEINFO=%.*s", RUNNER_VALUE_MAX,
	    val);
	ATF_CHECK_EQ(runner_req_parse(big, strlen(big) + 1), 0);
	snprintf(big, sizeof(big), "Q0TCPREMOTEINFO=%.*s",
	    RUNNER_VALUE_MAX + 1, val);
	ATF_CHECK_EQ(runner_req_parse(big, strlen(big) + 1), -1);
	memset(big, 0, sizeof(big));
	big[0] = 'Q';
	big[1] = '0';
	ATF_CHECK_EQ(runner_req_parse(big, sizeof(big)), -1);
}

/* fake - $PWD/libexec/qinject: the shell script body given. */
static void
fake(const char *body)
{
	char dir[1024], path[1100];
	FILE *f;

	ATF_REQUIRE(getcwd(dir, sizeof(dir) - 10) != NULL);
	strcat(dir, "/libexec");
	ATF_REQUIRE(mkdir(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/qinject", dir);
	ATF_REQUIRE((f = fopen(path, "w")) != NULL);
	fprintf(f, "#! /bin/sh\n%s\n", body);
	ATF_REQUIRE(fclose(f) == 0);
	ATF_REQUIRE(chmod(path, 0755) == 0);
	ATF_REQUIRE(setenv("QPOST_LIBEXEC", dir, 1) == 0);
}

struct job {
	int	msg[2], env[2], idp[2];
	pid_t	pid;
};

/* spawn - the pipes and runner_spawn, as smtpd_queue.c does. */
static int
spawn(struct job *j, int is_utf8)
{
	int r;

	ATF_REQUIRE(pipe2(j->msg, O_CLOEXEC) == 0);
	ATF_REQUIRE(pipe2(j->env, O_CLOEXEC) == 0);
	ATF_REQUIRE(pipe2(j->idp, O_CLOEXEC) == 0);
	r = runner_spawn(j->msg[0], j->env[0], j->idp[1], is_utf8);
	close(j->msg[0]);
	close(j->env[0]);
	close(j->idp[1]);
	return r;
}

/* slurp - a small file's text, "" when absent. */
static const char *
slurp(const char *name)
{
	static char text[4096];
	int fd;
	ssize_t n = 0;

	text[0] = '\0';
	if ((fd = open(name, O_RDONLY)) == -1)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

ATF_TC_WITHOUT_HEAD(runs_qinject);
ATF_TC_BODY(runs_qinject, tc)
{
	struct job j;
	char id[64];
	ssize_t n;
	int status;

	fake("printf '0123456789abcdef\\n' >&3; exec 3>&-\n"
	    "cat > msg.out; cat <&1 > env.out\n"
	    "echo \"$* $QPOST_ID_FD ${QPOST_UTF8:-none} ${TCPREMOTEIP:-none}"
	    " ${TCPREMOTEHOST:-none} ${QPOST_EVIL:-none}\" > vars.out\n"
	    "exit 7");
	setenv("TCPREMOTEHOST", "balancer.test", 1);
	ATF_REQUIRE(runner_start() == 0);
	ATF_CHECK_EQ(runner_active(), 1);
	/* what smtpd sets after the fork: listed, unlisted, removed */
	setenv("TCPREMOTEIP", "192.0.2.7", 1);
	setenv("QPOST_EVIL", "1", 1);
	unsetenv("TCPREMOTEHOST");
	ATF_REQUIRE(spawn(&j, 1) == 0);
	n = read(j.idp[0], id, sizeof(id));
	ATF_CHECK_EQ(n, 17);
	close(j.idp[0]);
	ATF_REQUIRE(fd_write_all(j.msg[1], "Subject: x\n\nbody\n", 17) == 0);
	close(j.msg[1]);
	ATF_REQUIRE(runner_alive());
	ATF_REQUIRE(fd_write_all(j.env[1], "Fa@b\0Tc@d\0\0", 11) == 0);
	close(j.env[1]);
	ATF_REQUIRE(runner_wait(&status, &j.pid) == 0);
	ATF_CHECK(j.pid > 0);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	ATF_CHECK_STREQ(slurp("msg.out"), "Subject: x\n\nbody\n");
	ATF_CHECK_EQ(memcmp(slurp("env.out"), "Fa@b", 5), 0);
	ATF_CHECK_STREQ(slurp("vars.out"),
	    "-Q 3 1 192.0.2.7 none none\n");
	/* a second job, on the same runner, without the flag */
	ATF_REQUIRE(spawn(&j, 0) == 0);
	ATF_CHECK_EQ(read(j.idp[0], id, sizeof(id)), 17);
	close(j.idp[0]);
	close(j.msg[1]);
	close(j.env[1]);
	ATF_REQUIRE(runner_wait(&status, &j.pid) == 0);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	ATF_CHECK_EQ(strncmp(slurp("vars.out"), "-Q 3 none ", 10), 0);
}

/* gone - pid has exited (a zombie of someone else's counts). */
static int
gone(pid_t pid)
{
	char path[64], stat[256], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 1;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	stat[n > 0 ? n : 0] = '\0';
	return (p = strrchr(stat, ')')) != NULL && p[1] == ' ' &&
	    (p[2] == 'Z' || p[2] == 'X');
}

ATF_TC_WITHOUT_HEAD(runner_dies);
ATF_TC_BODY(runner_dies, tc)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct job j;
	long qpid;
	int status, i;

	/* qinject kills the runner, then would queue for ever */
	fake("read x; echo $$ > pid.out; kill -9 $PPID\n"
	    "while :; do sleep 1; done");
	ATF_REQUIRE(runner_start() == 0);
	ATF_REQUIRE(spawn(&j, 0) == 0);
	ATF_REQUIRE(fd_write_all(j.msg[1], "go\n", 3) == 0);
	ATF_CHECK_EQ(runner_wait(&status, &j.pid), -1);
	ATF_CHECK_EQ(runner_alive(), 0);
	/* and took its qinject with it (PR_SET_PDEATHSIG) */
	for (i = 0; i < 250 && slurp("pid.out")[0] == '\0'; i++)
		nanosleep(&ts, NULL);
	qpid = strtol(slurp("pid.out"), NULL, 10);
	ATF_REQUIRE(qpid > 0);
	for (i = 0; i < 250 && !gone((pid_t)qpid); i++)
		nanosleep(&ts, NULL);
	ATF_CHECK(gone((pid_t)qpid));
	/* the next message is refused at once, not hung */
	ATF_CHECK_EQ(spawn(&j, 0), -1);
	close(j.idp[0]);
	close(j.msg[1]);
	close(j.env[1]);
}

ATF_TC_WITHOUT_HEAD(not_started);
ATF_TC_BODY(not_started, tc)
{
	char dir[2048];
	struct job j;
	int status;

	/* a path qinject_path refuses: the runner answers "F" */
	memset(dir, 'x', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	ATF_REQUIRE(setenv("QPOST_LIBEXEC", dir, 1) == 0);
	ATF_REQUIRE(runner_start() == 0);
	ATF_REQUIRE(spawn(&j, 0) == 0);
	/* the session waits for the id: the runner closes its end */
	ATF_CHECK_EQ(read(j.idp[0], dir, sizeof(dir)), 0);
	errno = 0;
	ATF_CHECK_EQ(runner_wait(&status, &j.pid), -1);
	ATF_CHECK_EQ(errno, ENAMETOOLONG);
	/* and the runner serves the next request */
	close(j.idp[0]);
	close(j.msg[1]);
	close(j.env[1]);
	ATF_REQUIRE(spawn(&j, 0) == 0);
	ATF_CHECK_EQ(read(j.idp[0], dir, sizeof(dir)), 0);
	ATF_CHECK_EQ(runner_wait(&status, &j.pid), -1);
	ATF_CHECK_EQ(runner_alive(), 1);
	close(j.idp[0]);
	close(j.msg[1]);
	close(j.env[1]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_good);
	ATF_TP_ADD_TC(tp, parse_hostile);
	ATF_TP_ADD_TC(tp, runs_qinject);
	ATF_TP_ADD_TC(tp, runner_dies);
	ATF_TP_ADD_TC(tp, not_started);
	return atf_no_error();
}
