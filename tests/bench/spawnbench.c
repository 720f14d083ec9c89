/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * spawnbench - the machine's price of a process, the other limit (with
 * the disk's, diskbench) of an MTA in the qmail tradition, which runs a
 * process or more per message where Postfix reuses its daemons:
 *
 *	spawnbench COUNT PROGRAM
 *
 * Prints "fork_ms=A spawn_ms=B" (CPU milliseconds, this process and its
 * children together, averaged over COUNT): A for a fork whose child
 * exits at once (a session forked by smtpd -L, a queue runner), B for a
 * vfork and exec of PROGRAM, run with no argument (qinject and local,
 * as the runner and lspawn start them; PROGRAM should be a program that
 * exits at once, such as /bin/true, so that B is the exec alone).
 */
#include <sys/resource.h>
#include <sys/wait.h>
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
	char *const args[] = { argv[argc > 2 ? 2 : 0], NULL };
	double t0, t1, t2;
	pid_t pid;
	long n, i;

	if (argc != 3 || (n = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: spawnbench COUNT PROGRAM\n");
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
			execv(args[0], args);
			_exit(127);
		}
		reap(pid);
	}
	t2 = cpu_ms();
	printf("fork_ms=%.3f spawn_ms=%.3f\n", (t1 - t0) / n, (t2 - t1) / n);
	return 0;
}
