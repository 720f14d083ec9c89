/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpauth - check one SMTP AUTH attempt: user, password, client address.
 *
 * Runs as qpauth (its own uid; started as root it drops there at once,
 * after making its socket and state directory): the only program that
 * reads control/passwd.cdb (qpauth:qpauth 0400).  It trusts nothing in
 * a request: smtpd (qpsmtpd) passes on what a network client sent.
 *
 * Two ways to run it (qpost-qpauth(8)):
 *   qpauth            checkpassword style: reads "user\0password\0ip\0"
 *                     from fd 3, exits 0 good, 1 bad, 111 temporary;
 *   qpauth -d SOCKET  a daemon on a unix stream socket (0660, group
 *                     qpsmtpd; 0600 in single-user mode): one request
 *                     per connection, the same bytes, answered with one
 *                     byte '0', '1' or '2' (temporary); each request in
 *                     a child of its own (at most CHILDREN_MAX), so the
 *                     delay given to one client holds up no other.
 *
 * Brute force: per client address, the failures and the time of the
 * last are kept in the state directory (one small file per address,
 * replaced atomically under a lock).  A failure is counted before the
 * answer and the answer then waits min(2^failures, authdelay) seconds;
 * once authfailmax failures came within authwindow seconds of each
 * other the address is refused without a check until it has been
 * quiet for authwindow seconds.  A success clears the count.
 *
 * Secrets: the request buffer and the crypt work area are wiped after
 * use; the log has user, client and result, never the password.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cdb.h>
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "listen.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "sa.h"
#include "smtpd_auth.h"

#define USAGE	"usage: qpauth [-h] [-d socket]\n" \
		"  check one AUTH attempt read from fd 3 (exit 0 good,\n" \
		"  1 bad, 111 temporary), or with -d serve them on a\n" \
		"  unix socket\n"

#define STATE_DEFAULT	"/var/lib/qpost/auth"
#define CHILDREN_MAX	32	/* requests being answered at once */
#define REQUEST_SECONDS	(AUTH_TIMEOUT - 5)	/* a child's whole life */
#define HASH_MAX	512	/* bytes of a crypt(3) hash in the cdb */
#define STATE_MAX	64	/* bytes of a state file */

#define R_GOOD	0
#define R_BAD	1
#define R_TEMP	EXIT_TEMP

struct conf {
	long long	 delay_max;	/* control/authdelay, seconds */
	long long	 fail_max;	/* control/authfailmax */
	long long	 window;	/* control/authwindow, seconds */
	char		 statedir[1024];
	int		 statefd;
};

static struct conf conf;
static char *dummy_hash;	/* checked for unknown users: same work */

/* conf_load - the control files; -1 if one is broken (logged). */
static int
conf_load(void)
{
	struct sa line = SA_INIT;
	const char *env;
	int r;

	conf.delay_max = 30;
	conf.fail_max = 10;
	conf.window = 900;
	if (ctl_knob("authdelay", &conf.delay_max) == -1 ||
	    ctl_knob("authfailmax", &conf.fail_max) == -1 ||
	    ctl_knob("authwindow", &conf.window) == -1)
		return -1;
	if ((env = getenv("QPOST_AUTHSTATE")) != NULL && env[0] == '/') {
		if (strlcpy(conf.statedir, env, sizeof(conf.statedir)) >=
		    sizeof(conf.statedir))
			return -1;
		return 0;
	}
	if ((r = ctl_line("authstate", &line)) == -1)
		return -1;
	if (r == 1 && line.s[0] != '/') {
		log_warnx("control file authstate: want an absolute path");
		sa_free(&line);
		return -1;
	}
	r = strlcpy(conf.statedir, r == 1 ? line.s : STATE_DEFAULT,
	    sizeof(conf.statedir)) >= sizeof(conf.statedir) ? -1 : 0;
	sa_free(&line);
	return r;
}

/*
 * state_dir - open the state directory; as root, make it first if it
 * is missing (0700, owned by qpauth).  Dies on failure: without it
 * there is no brute-force limit, so no checking at all.
 */
static void
state_dir(uid_t uid, gid_t gid)
{
	if (mkdir(conf.statedir, 0700) == -1 && errno != EEXIST)
		die(EXIT_TEMP, "unable to make the state directory %s",
		    conf.statedir);
	if (!priv_single_user() && chown(conf.statedir, uid, gid) == -1)
		die(EXIT_TEMP, "unable to chown %s", conf.statedir);
	if ((conf.statefd = open(conf.statedir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		die(EXIT_TEMP, "unable to open the state directory %s",
		    conf.statedir);
}

/*
 * state_name - the state file for a client address: "ip-" and the
 * address with every byte but [0-9A-Za-z.] made '_' (IPv6 colons
 * too), at most 64 bytes: no path, no dot file, no surprise.
 */
static void
state_name(const char *ip, char *name, size_t size)
{
	size_t i, n;

	n = strlcpy(name, "ip-", size);
	for (i = 0; ip[i] != '\0' && n + 1 < size && i < 64; i++, n++)
		name[n] = isalnum((unsigned char)ip[i]) || ip[i] == '.' ?
		    ip[i] : '_';
	name[n] = '\0';
}

/* state_lock - take (op LOCK_EX) or drop (LOCK_UN) the state lock. */
static int
state_lock(int *lockfd, int op)
{
	if (op == LOCK_UN) {
		(void)close(*lockfd);	/* drops the lock */
		*lockfd = -1;
		return 0;
	}
	if ((*lockfd = openat(conf.statefd, "lock", O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	while (flock(*lockfd, LOCK_EX) == -1)
		if (errno != EINTR) {
			(void)close(*lockfd);
			return -1;
		}
	return 0;
}

/*
 * state_read - failures and the time of the last for a state file;
 * none (0, 0) if there is no file.  A file that does not parse counts
 * as none: it can only have been written by us, or by someone with
 * qpauth's uid, who could remove it anyway.  0, or -1.
 */
static int
state_read(const char *name, long long *count, long long *last)
{
	char buf[STATE_MAX];
	ssize_t r;
	int fd;

	*count = *last = 0;
	if ((fd = openat(conf.statefd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) == -1)
		return errno == ENOENT ? 0 : -1;
	r = fd_read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	if (sscanf(buf, "%lld %lld", count, last) != 2 || *count < 0)
		*count = *last = 0;
	return 0;
}

/* state_write - replace the state file atomically; 0, or -1. */
static int
state_write(const char *name, long long count, long long last)
{
	char buf[STATE_MAX];
	int n;

	n = snprintf(buf, sizeof(buf), "%lld %lld\n", count, last);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return atomic_write_file(conf.statefd, name, buf, (size_t)n, 0600);
}

/*
 * lookup_hash - the hash for user in control/passwd.cdb, into hash.
 * 1 found, 0 no such user, -1 temporary (no cdb, a broken one, or an
 * entry no crypt hash could be).
 */
static int
lookup_hash(const char *user, char *hash, size_t size)
{
	unsigned vlen;
	int fd, r;

	if ((fd = ctl_cdb_open("passwd.cdb")) == -1) {
		log_warn("unable to open control/passwd.cdb");
		return -1;
	}
	r = cdb_seek(fd, user, (unsigned)strlen(user), &vlen);
	if (r > 0 && (vlen == 0 || vlen >= size ||
	    cdb_bread(fd, hash, vlen) == -1)) {
		log_warnx("control/passwd.cdb: bad entry for %s: rebuild it "
		    "with qpasswd", user);
		r = -1;
	} else if (r < 0) {
		log_warn("unable to read control/passwd.cdb");
	} else if (r > 0) {
		hash[vlen] = '\0';
		if (memchr(hash, '\0', vlen) != NULL || hash[0] != '$') {
			log_warnx("control/passwd.cdb: entry for %s is not "
			    "a crypt hash", user);
			r = -1;
		}
	}
	(void)close(fd);
	return r < 0 ? -1 : r > 0;
}

/*
 * ct_equal - whether a and b (n bytes each) are equal, in time that
 * depends on n only (libbsd here has no timingsafe_bcmp).
 */
static int
ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *p = a, *q = b;
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= p[i] ^ q[i];
	return diff == 0;
}

/*
 * verify - whether pass hashes to the stored hash for user, with
 * crypt_r and a constant-time comparison; an unknown user costs the
 * same hashing (against a throwaway hash), so timing tells nothing.
 * R_GOOD, R_BAD or R_TEMP.
 */
static int
verify(const char *user, const char *pass)
{
	struct crypt_data *cd;
	char hash[HASH_MAX];
	const char *out;
	size_t hl;
	int found, r = R_BAD;

	if ((found = lookup_hash(user, hash, sizeof(hash))) == -1)
		return R_TEMP;
	if (!found && strlcpy(hash, dummy_hash, sizeof(hash)) >= sizeof(hash))
		return R_TEMP;
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		log_warn("unable to allocate memory");
		return R_TEMP;
	}
	out = crypt_r(pass, hash, cd);
	hl = strlen(hash);
	if (out == NULL || out[0] == '*') {
		if (found) {
			log_warnx("control/passwd.cdb: the hash for %s is "
			    "not one this libcrypt knows", user);
			r = R_TEMP;
		}
	} else if (found && strlen(out) == hl &&
	    ct_equal(out, hash, hl))
		r = R_GOOD;
	freezero(cd, sizeof(*cd));
	explicit_bzero(hash, sizeof(hash));
	return r;
}

/* pause_for - sleep secs seconds, whatever signals come. */
static void
pause_for(long long secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* fail_delay - min(2^failures, authdelay) seconds. */
static long long
fail_delay(long long failures)
{
	if (failures >= 30)
		return conf.delay_max;
	return (1LL << failures) < conf.delay_max ? (1LL << failures) :
	    conf.delay_max;
}

/*
 * attempt - one attempt: the brute-force state, the check, the log
 * line.  peer describes who asked (for the log).  user is lowercased
 * in place.  R_GOOD, R_BAD or R_TEMP.
 */
static int
attempt(char *user, const char *pass, const char *ip, const char *peer)
{
	char name[80];
	long long count, last, now;
	size_t i;
	int lockfd = -1, r;

	now = (long long)time(NULL);
	if (ip[0] == '\0')
		ip = "unknown";
	state_name(ip, name, sizeof(name));
	if (!auth_user_valid(user))
		user = "(invalid)";	/* checked as unknown, logged safely */
	else
		for (i = 0; user[i] != '\0'; i++)
			user[i] = (char)tolower((unsigned char)user[i]);

	if (state_lock(&lockfd, LOCK_EX) == -1 ||
	    state_read(name, &count, &last) == -1) {
		log_warn("unable to read the state of %s in %s", ip,
		    conf.statedir);
		if (lockfd != -1)
			state_lock(&lockfd, LOCK_UN);
		log_info("user=%s ip=%s%s result=temp", user, ip, peer);
		return R_TEMP;
	}
	if (now - last > conf.window || last > now)
		count = 0;
	if (count >= conf.fail_max) {
		/* refused unchecked; each try keeps the address locked */
		if (state_write(name, count, now) == -1)
			log_warn("unable to write the state of %s", ip);
		state_lock(&lockfd, LOCK_UN);
		log_info("user=%s ip=%s%s result=refused failures=%lld", user,
		    ip, peer, count);
		pause_for(conf.delay_max);
		return R_BAD;
	}
	/*
	 * Count the attempt as a failure before checking it, and take it
	 * back on success: attempts made in parallel then cannot all get
	 * past the limit before any is counted, and hanging up early
	 * saves nothing.
	 */
	count++;
	if (state_write(name, count, now) == -1) {
		log_warn("unable to write the state of %s", ip);
		state_lock(&lockfd, LOCK_UN);
		log_info("user=%s ip=%s%s result=temp", user, ip, peer);
		return R_TEMP;
	}
	state_lock(&lockfd, LOCK_UN);

	r = strcmp(user, "(invalid)") == 0 ? R_BAD : verify(user, pass);
	if (r == R_GOOD || r == R_TEMP) {
		/* a temporary failure is ours, not the client's: no count */
		if (state_lock(&lockfd, LOCK_EX) == -1 ||
		    state_read(name, &count, &last) == -1)
			log_warn("unable to clear the state of %s", ip);
		else if (r == R_GOOD || count <= 1) {
			if (unlinkat(conf.statefd, name, 0) == -1 &&
			    errno != ENOENT)
				log_warn("unable to clear the state of %s", ip);
		} else if (state_write(name, count - 1, last) == -1)
			log_warn("unable to write the state of %s", ip);
		if (lockfd != -1)
			state_lock(&lockfd, LOCK_UN);
		log_info("user=%s ip=%s%s result=%s", user, ip, peer,
		    r == R_GOOD ? "ok" : "temp");
		return r;
	}
	log_info("user=%s ip=%s%s result=bad failures=%lld", user, ip, peer,
	    count);
	pause_for(fail_delay(count));
	return R_BAD;
}

/*
 * request - read one request (at most AUTH_REQUEST_MAX bytes, to EOF)
 * from fd, check it and wipe it.  R_GOOD, R_BAD, or R_TEMP when it
 * cannot be read; a malformed request is R_BAD, logged.
 */
static int
request(int fd, const char *peer)
{
	char buf[AUTH_REQUEST_MAX + 1];
	char *user, *pass, *ip;
	size_t n = 0;
	ssize_t r;
	int res;

	while (n < sizeof(buf)) {
		if ((r = fd_read(fd, buf + n, sizeof(buf) - n)) == -1) {
			log_warn("unable to read a request%s", peer);
			explicit_bzero(buf, sizeof(buf));
			return R_TEMP;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (auth_request_parse(buf, n, &user, &pass, &ip) == -1) {
		explicit_bzero(buf, sizeof(buf));
		log_info("malformed request%s result=bad", peer);
		return R_BAD;
	}
	res = attempt(user, pass, ip, peer);
	explicit_bzero(buf, sizeof(buf));
	return res;
}

/*
 * peer_ok - who connected (SO_PEERCRED), described in peer for the
 * log; 1 if it may ask: root, qpsmtpd or our own uid (the socket's
 * mode already keeps others out; this says so in the log).
 */
static int
peer_ok(int fd, uid_t smtpd_uid, char *peer, size_t size)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("unable to read the peer's credentials");
		return 0;
	}
	(void)snprintf(peer, size, " peer_uid=%lu peer_pid=%ld",
	    (unsigned long)uc.uid, (long)uc.pid);
	return uc.uid == 0 || uc.uid == getuid() || uc.uid == smtpd_uid;
}

/* who may ask, and who asks now (for the log) */
struct asker {
	uid_t	 smtpd_uid;
	char	 peer[80];
};

/* admit - peer_ok for listen_serve: a refusal is logged */
static int
admit(int fd, void *arg)
{
	struct asker *a = arg;

	if (peer_ok(fd, a->smtpd_uid, a->peer, sizeof(a->peer)))
		return 1;
	log_info("refused connection%s", a->peer);
	return 0;
}

/* child - one request, bounded in time, and its one-letter answer */
static void
child(int fd, void *arg)
{
	struct asker *a = arg;
	struct timeval tv;
	int res;
	char answer;

	/* smtpd sends its request at once: no slow clients */
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)alarm(REQUEST_SECONDS + (unsigned)conf.delay_max);
	res = request(fd, a->peer);
	answer = res == R_GOOD ? '0' : res == R_BAD ? '1' : '2';
	(void)fd_write_all(fd, &answer, 1);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	uid_t uid = 0, smtpd_uid = (uid_t)-1;
	gid_t gid = 0, smtpd_gid = 0;
	int ch, lfd = -1, r;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "d:h")) != -1) {
		switch (ch) {
		case 'd':
			sock = optarg;
			break;
		case 'h':
			usage_exit(USAGE, 0);
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	if (optind != argc)
		usage_exit(USAGE, EXIT_PERM);
	if (conf_load() == -1)
		diex(EXIT_TEMP, "broken control files: no attempt checked");
	if (!priv_single_user()) {
		if (priv_lookup(USER_AUTH, &uid, &gid) == -1)
			diex(EXIT_TEMP, "unable to find user %s: run "
			    "qpost-setup", USER_AUTH);
		if (sock != NULL && priv_lookup(USER_SMTPD, &smtpd_uid,
		    &smtpd_gid) == -1)
			diex(EXIT_TEMP, "unable to find user %s: run "
			    "qpost-setup", USER_SMTPD);
	}
	state_dir(uid, gid);
	if (sock != NULL)
		/* 0660 qpauth:qpsmtpd: smtpd alone may ask */
		lfd = listen_unix(sock, uid, smtpd_gid, 0660);
	priv_drop(USER_AUTH);
	if ((dummy_hash = crypt_gensalt_ra("$y$", 0, NULL, 0)) == NULL)
		die(EXIT_TEMP, "unable to make a salt");
	if (sock != NULL) {
		r = listen_serve(lfd, &(struct listen_serve){
		    .max = CHILDREN_MAX, .admit = admit, .serve = child,
		    .arg = &(struct asker){ .smtpd_uid = smtpd_uid } });
		if (priv_single_user())
			(void)unlink(sock);
		free(dummy_hash);
		return r;
	}
	r = request(3, "");
	free(dummy_hash);
	return r;
}
