/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawnbench - the machine's price of a process, the other limit (with
 * the disk's, diskbench) of an MTA in the qmail tradition, which runs a
 * process or more per message where Postfix reuses its daemons:
 *
 *	spawnbench COUNT PROGRAM [ARG ...]
 *
 * Prints "fork_ms=A spawn_ms=B" (CPU milliseconds, this process and its
 * children together, averaged over COUNT): A for a fork whose child
 * exits at once (a session forked by smtpd -L, a queue runner), B for a
 * vfork and exec of PROGRAM with the ARGs, its output to /dev/null
 * (qinject, as the runner starts it; PROGRAM and ARGs should make a
 * program that exits at once, /bin/true or qinject -h, so that B is
 * the exec and the C library's start alone).
 */
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* cpu_ms - CPU milliseconds of this process and its waited children */
static double
cpu_ms(void)
{
	struct rusage self, kids;
	double ms = 0;

	if (getrusage(RUSAGE_SELF, &self) == -1 ||
	    getrusage(RUSAGE_CHILDREN, &kids) == -1) {
		perror("spawnbench: getrusage");
		exit(1);
	}
	ms += self.ru_utime.tv_sec * 1e3 + self.ru_utime.tv_usec / 1e3;
	ms += self.ru_stime.tv_sec * 1e3 + self.ru_stime.tv_usec / 1e3;
	ms += kids.ru_utime.tv_sec * 1e3 + kids.ru_utime.tv_usec / 1e3;
	ms += kids.ru_stime.tv_sec * 1e3 + kids.ru_stime.tv_usec / 1e3;
	return ms;
}

/* reap - wait for pid, which must have exited 0 */
static void
reap(pid_t pid)
{
	int status;

	if (pid == -1) {
		perror("spawnbench: fork");
		exit(1);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "spawnbench: a child failed\n");
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	double t0, t1, t2;
	pid_t pid;
	long n, i;
	int null;

	if (argc < 3 || (n = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: spawnbench COUNT PROGRAM [ARG ...]\n");
		return 1;
	}
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1) {
		perror("spawnbench: /dev/null");
		return 1;
	}
	t0 = cpu_ms();
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == 0)
			_exit(0);
		reap(pid);
	}
	t1 = cpu_ms();
	for (i = 0; i < n; i++) {
		if ((pid = vfork()) == 0) {
			/* the child's own descriptor table: vfork shares
			 * memory, not descriptors */
			if (dup2(null, 1) == -1)
				_exit(126);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		reap(pid);
	}
	t2 = cpu_ms();
	printf("fork_ms=%.3f spawn_ms=%.3f\n", (t1 - t0) / n, (t2 - t1) / n);
	return 0;
}
