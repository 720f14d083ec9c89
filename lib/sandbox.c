/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * sandbox - PR_SET_NO_NEW_PRIVS, then a seccomp allow-list (libseccomp)
 * for smtpd and remote, the two programs that read what strangers send.
 * Each calls sandbox_enter once its start-up is done (ids dropped,
 * control files and TLS configuration read) and before it reads a byte
 * from the network, so a bug the network finds cannot mount, trace,
 * load a module, open a listening socket or reach any other system call
 * the program never makes.
 *
 * The lists are of what the programs are seen to call, in the plain and
 * the sanitizer build, through glibc, libtls and the resolver.  smtpd
 * execs nothing: a seccomp filter survives execve, so the qinject it
 * hands each message to is started by its queue runner
 * (smtpd/smtpd_runner.c), forked before the filter is entered, and
 * neither qinject nor the control/filter program it may run is bound
 * by smtpd's list.  So neither list has fork, execve or any call that
 * writes a file.  Paths are beyond seccomp (Landlock's job); both
 * programs may open files for reading only, which also keeps smtpd
 * from writing into the memory of the processes its runner starts
 * (/proc/<pid>/mem), which run as its uid, outside the filter.
 *
 * The default action is SCMP_ACT_KILL_PROCESS: a call outside the list
 * means the program is doing what it was never written to do, most
 * likely under an attacker's control, and the whole process (not only
 * the thread) must end at once; the client sees a closed connection,
 * the queue nothing (qinject commits or leaves nothing).  A few calls
 * that libraries probe and cope with refusing get an errno instead
 * (EPERM for id changes and chown, EAFNOSUPPORT for socket families
 * other than local and IP, EACCES for opening a file to write),
 * so a harmless probe does not kill a session.
 *
 * smtpd -L's sessions do not load a filter each: the kernel's work to
 * load one (checking, converting and compiling the program, finding
 * the calls it always allows, and freeing it all at exit) was about
 * 3% of the CPU of a message at 10 sessions (issue 10).  The
 * listener's acceptor, which forks them, enters its own list once
 * (SANDBOX_ACCEPT: smtpd's, and accept4, wait4, socketpair, clone with
 * exactly fork's flags, prctl only to name the process) and each
 * session inherits it, as every filter is inherited.  Fork, the one
 * call of those a session could use to do more, is refused to it by
 * the kernel's process limit instead: the session sets RLIMIT_NPROC to
 * 0, hard, before it reads a byte (smtpd_listen.c), which binds every
 * uid but root's, and the listener is never root by then.
 *
 * Where the kernel has no seccomp (or the filter cannot be loaded) one
 * line is logged and the program goes on without it: the uid and the
 * file modes are the boundary that must hold anyway.  QPOST_SECCOMP=log
 * in the environment makes the filter log what it would have refused
 * (the kernel's audit log) instead of refusing it: for developers
 * extending the lists.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sandbox.h"

/* what every role calls: memory, time, signals, descriptors, exit */
static const char *const base[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek",
	"close", "close_range", "fstat", "stat", "lstat", "newfstatat",
	"statx", "fstatfs", "statfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents64", "fcntl", "dup", "dup2",
	"dup3", "pipe", "pipe2", "poll", "ppoll", "select", "pselect6",
	"mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "getgroups", "clock_gettime",
	"clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday",
	"time", "alarm", "setitimer", "getitimer", "getrandom", "uname",
	"getrlimit", "prlimit64", "getrusage", "times", "exit",
	"exit_group", "set_tid_address", "set_robust_list", "rseq",
	"futex", "sched_yield", "sched_getaffinity", "tgkill", "getcwd",
	"restart_syscall", "fadvise64",
	/* glibc's qsort asks sysconf(_SC_PHYS_PAGES): X.509 verification */
	"sysinfo",
	/* the resolver, TLS, qpauth's socket */
	"connect", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "getsockname", "getpeername", "getsockopt",
	"setsockopt", "shutdown",
	NULL
};

/*
 * smtpd: nothing beyond the base, and its opens (below).  No fork,
 * execve, wait4 or kill: qinject is its runner's child, not its own.
 */
static const char *const smtpd_only[] = {
	NULL
};

/*
 * remote: binds to control/outgoingip; opens files only to read, but
 * rewrites the MTA-STS cache file it opened before (remote_sts.c)
 */
static const char *const remote_only[] = {
	"bind", "ftruncate",
	NULL
};

/*
 * smtpd -L's acceptor: accepts, hands each session its end of a socket
 * to the queue runner, forks it and reaps it; fork and the process's
 * name are allowed with arguments (add_args)
 */
static const char *const accept_only[] = {
	"accept4", "accept", "wait4", "socketpair",
	NULL
};

/* role_list - what a role may call beyond the base */
static const char *const *
role_list(enum sandbox_role role)
{
	if (role == SANDBOX_REMOTE)
		return remote_only;
	return role == SANDBOX_ACCEPT ? accept_only : smtpd_only;
}

/*
 * What the ASan/LSan/UBSan runtime calls after start-up: LeakSanitizer
 * stops the world at exit with a cloned tracer (a process of its own
 * sharing our memory: were it killed, we would wait for it for ever)
 * that ptraces the process's threads.  Compiled in only in the sanitizer build, where
 * security gives way to finding bugs.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifdef SANITIZER_BUILD
static const char *const sanitizer[] = {
	"clone", "clone3", "ptrace", "prctl", "wait4", "waitid",
	"process_vm_readv", "sched_setaffinity", "arch_prctl", "kill",
	"getdents",	/* the runtime lists /proc/self/task with it */
	"mkdir",	/* log_path=: it makes the report's folders */
	NULL
};
#endif

/* refused with EPERM: what an unprivileged process would get anyway */
static const char *const eperm[] = {
	"setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setgroups", "setfsuid", "setfsgid", "capset",
	"chown", "fchown", "lchown", "fchownat", "personality",
	NULL
};

/* add - one rule per name; a name this architecture lacks is skipped */
static int
add(scmp_filter_ctx ctx, uint32_t action, const char *const *names)
{
	int nr, r;

	for (; *names != NULL; names++) {
		if ((nr = seccomp_syscall_resolve_name(*names)) ==
		    __NR_SCMP_ERROR)
			continue;
		/* -EEXIST: in two lists (the sanitizer's and a role's) */
		if ((r = seccomp_rule_add(ctx, action, nr, 0)) != 0 &&
		    r != -EEXIST)
			return -1;
	}
	return 0;
}

/*
 * add_accept_args - the acceptor's fork (glibc's _Fork: clone with
 * these flags and no others, so no thread, no vfork, no new namespace)
 * and its sessions' names
 */
static int
add_accept_args(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_EQ, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
	    SIGCHLD)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	    SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)) != 0)
		return -1;
	return 0;
}

/* add_args - the calls allowed only with some arguments */
static int
add_args(scmp_filter_ctx ctx, enum sandbox_role role)
{
	static const int fams[] = { AF_UNIX, AF_INET, AF_INET6 };
	static const int wflags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC,
	    O_APPEND };
	const char *opens[] = { "open", "openat" };
	size_t i, k;
	int nr;

	/* TIOCSTI would push input into a terminal left on fd 2 */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_NE, TIOCSTI)) != 0)
		return -1;
	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, fams[i])) != 0)
			return -1;
	/*
	 * netlink (getaddrinfo's probe) and the rest: "not supported".
	 * The families above AF_INET6 are one rule, not one each: the
	 * kernel converts and compiles the filter for every session, and
	 * a rule for each of the 40-odd families was half its length.
	 */
	for (i = 0; i < AF_INET6; i++)
		if (i != AF_UNIX && i != AF_INET &&
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, i)) != 0)
			return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
	    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_GT, AF_INET6)) != 0)
		return -1;
#ifdef SANITIZER_BUILD
	/*
	 * The runtime writes its reports to files (log_path=): in the
	 * sanitizer build smtpd may open to write.  (Its list has clone
	 * and prctl whole.)
	 */
	if (role != SANDBOX_REMOTE) {
		for (k = 0; k < 2; k++)
			if ((nr = seccomp_syscall_resolve_name(opens[k])) !=
			    __NR_SCMP_ERROR &&
			    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0)
				return -1;
		return 0;
	}
#endif
	if (role == SANDBOX_ACCEPT && add_accept_args(ctx) == -1)
		return -1;
	/*
	 * Control files, cdbs, CA bundles, resolv.conf: no more.  Opening
	 * to write is refused (EACCES), not fatal, as a library's probe.
	 */
	for (k = 0; k < 2; k++) {
		if ((nr = seccomp_syscall_resolve_name(opens[k])) ==
		    __NR_SCMP_ERROR)
			continue;
		/* the flags are argument 1 of open, 2 of openat */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		    SCMP_CMP(k + 1, SCMP_CMP_MASKED_EQ,
		    O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, 0)) != 0)
			return -1;
		for (i = 0; i < sizeof(wflags) / sizeof(wflags[0]); i++)
			if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr,
			    1, SCMP_CMP(k + 1, SCMP_CMP_MASKED_EQ,
			    wflags[i], wflags[i])) != 0)
				return -1;
	}
	return 0;
}

/* build - the filter of a role; NULL (errno set) if libseccomp fails */
static scmp_filter_ctx
build(enum sandbox_role role, uint32_t deflt)
{
	scmp_filter_ctx ctx;

	if ((ctx = seccomp_init(deflt)) == NULL)
		return NULL;
	/*
	 * A binary tree of the calls instead of a list: on load the kernel
	 * runs the filter once for every system call number to find those
	 * it always allows (its action cache), which over a list of a
	 * hundred calls took 150 us of every smtpd session; 45 us now.
	 */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0 ||
	    add(ctx, SCMP_ACT_ALLOW, base) == -1 ||
	    add(ctx, SCMP_ACT_ALLOW, role_list(role)) == -1 ||
#ifdef SANITIZER_BUILD
	    add(ctx, SCMP_ACT_ALLOW, sanitizer) == -1 ||
#endif
	    add(ctx, SCMP_ACT_ERRNO(EPERM), eperm) == -1 ||
	    add_args(ctx, role) == -1) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * a role's filter compiled ahead by sandbox_prepare, or none; its code
 * is kept here rather than on the heap (see sandbox_prepare)
 */
static struct {
	int			 is_ready;
	enum sandbox_role	 role;
	uint32_t		 deflt;
	struct sock_fprog	 prog;
	struct sock_filter	 code[BPF_MAXINSNS];
} prepared;

/* whether this process (or the one it was forked from) has a filter */
static int entered;

/* default_action - what a call outside the list gets */
static uint32_t
default_action(void)
{
	const char *env = getenv(SANDBOX_ENV);

	return env != NULL && strcmp(env, "log") == 0 ? SCMP_ACT_LOG :
	    SCMP_ACT_KILL_PROCESS;
}

/*
 * export - the filter of ctx as a BPF program in prepared.code
 * (libseccomp 2.5 exports only to a descriptor): 0, or -1.
 */
static int
export(scmp_filter_ctx ctx)
{
	struct stat st;
	int fd, r = -1;

	if ((fd = memfd_create("qpost-seccomp", MFD_CLOEXEC)) == -1)
		return -1;
	if (seccomp_export_bpf(ctx, fd) == 0 && fstat(fd, &st) == 0 &&
	    st.st_size > 0 && st.st_size % sizeof(struct sock_filter) == 0 &&
	    (size_t)st.st_size <= sizeof(prepared.code) &&
	    pread(fd, prepared.code, (size_t)st.st_size, 0) == st.st_size) {
		prepared.prog.filter = prepared.code;
		prepared.prog.len = (unsigned short)(st.st_size /
		    sizeof(struct sock_filter));
		r = 0;
	}
	(void)close(fd);
	return r;
}

/*
 * compile_apart - the role's filter into prepared.code, compiled by a
 * child that sends it back on a pipe.  libseccomp leaves a quarter of
 * a megabyte of freed chunks all over the heap of the process that
 * compiles, and every session forked from it afterwards wrote its own
 * allocations into them: a copy-on-write fault for each page they are
 * on.  Compiled apart, the listener's heap stays empty.  0, or -1.
 */
static int
compile_apart(enum sandbox_role role, uint32_t deflt)
{
	scmp_filter_ctx ctx;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		(void)close(p[0]);
		if ((ctx = build(role, deflt)) != NULL && export(ctx) == 0)
			(void)fd_write_all(p[1], prepared.code,
			    prepared.prog.len * sizeof(struct sock_filter));
		_exit(0);
	}
	(void)close(p[1]);
	while (pid != -1 && (n = read(p[0], (char *)prepared.code + got,
	    sizeof(prepared.code) - got)) != 0)
		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			break;
	(void)close(p[0]);
	while (pid != -1 && waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	if (got == 0 || got % sizeof(struct sock_filter) != 0)
		return -1;
	prepared.prog.filter = prepared.code;
	prepared.prog.len = (unsigned short)(got / sizeof(struct sock_filter));
	return 0;
}

/*
 * sandbox_prepare - compile the role's filter now, for a process whose
 * forked children each enter the sandbox (smtpd -L): libseccomp's
 * compile (its allocations and page faults) was a fifth of a bare
 * session's CPU, the kernel's load of a ready program is a small part
 * of it.  Quietly does nothing on failure: sandbox_enter then builds
 * the filter itself and says what is wrong.
 */
void
sandbox_prepare(enum sandbox_role role)
{
	uint32_t deflt = default_action();

	if (prepared.is_ready || compile_apart(role, deflt) == -1)
		return;
	prepared.role = role;
	prepared.deflt = deflt;
	prepared.is_ready = 1;
}

/*
 * load - the role's filter: 0, a negative errno when the kernel refused
 * it, or 1 when it could not be built (logged).
 */
static int
load(enum sandbox_role role, uint32_t deflt)
{
	scmp_filter_ctx ctx;
	int r;

	if (prepared.is_ready && prepared.role == role &&
	    prepared.deflt == deflt)
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
		    &prepared.prog, 0, 0) == -1 ? -errno : 0;
	if ((ctx = build(role, deflt)) == NULL) {
		log_warnx("sandbox: unable to build the system call filter: "
		    "running without it");
		return 1;
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/*
 * sandbox_enter - no core, no new privileges, then the role's filter.  Returns
 * 1 when the filter is in place, 0 when it is not (logged once).
 */
int
sandbox_enter(enum sandbox_role role)
{
	int r;

	if (entered)
		return 1;	/* inherited: a filter cannot be left */

	/*
	 * No core file: a process the filter ends may hold a session's
	 * secrets (the TLS key, an AUTH password) in its memory.
	 */
	(void)setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("sandbox: no_new_privs");
		return 0;
	}
	/* EINVAL: a kernel built without seccomp */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == -1) {
		log_warnx("sandbox: the kernel has no seccomp: running "
		    "without the system call filter");
		return 0;
	}
	if ((r = load(role, default_action())) == 1)
		return 0;
	if (r != 0) {
		errno = -r;
		log_warn("sandbox: unable to load the system call filter: "
		    "running without it");
		return 0;
	}
	entered = 1;
	return 1;
}

/*
 * sandbox_no_fork - RLIMIT_NPROC 0, hard: this process may start no
 * other (nor a thread), whatever its filter allows, unless it is root.
 * 0, or -1.  Nothing in the sanitizer build, whose LeakSanitizer clones
 * a tracer at exit.
 */
int
sandbox_no_fork(void)
{
#ifdef SANITIZER_BUILD
	return 0;
#else
	return setrlimit(RLIMIT_NPROC, &(struct rlimit){ 0, 0 });
#endif
}
