/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpdkim - the DKIM signer: the only program that reads the private
 * keys (control/dkimkeys/, qpdkim:qpdkim 0700, keys 0400).
 *
 * Runs as qpdkim (its own uid; started as root it drops there at once,
 * after making its socket).  qinject, run by smtpd or by a local user,
 * connects to its unix socket and sends "qpdkim1 <origin> <id>" and
 * the message; qpdkim answers with the DKIM-Signature field(s) for the
 * domain of the message's From, or says why not.  It trusts nothing in
 * a request but the kernel's word on who connected (SO_PEERCRED):
 *   - smtpd's account (qpsmtpd) gets a signature only for "auth":
 *     mail whose client authenticated (smtpd vouches for that);
 *   - any other account, whatever it claims, only for a From address
 *     it could use as the envelope sender (control/trusted rules:
 *     login@ this host or a local domain; anything for trusted uids);
 *   - in single-user mode everything is one account: all is signed.
 * Each request in a child of its own (at most CHILDREN_MAX), bounded
 * in time; one log line per request.  See qpost-qpdkim(8).
 *
 * qpdkim -g makes a key pair and prints the DNS record (qpdkim_key.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "dkim_req.h"
#include "listen.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "qpdkim.h"
#include "queue_trust.h"
#include "sa.h"

#define USAGE	"usage: qpdkim [-h] -d socket\n" \
		"       qpdkim -g [-t rsa|ed25519] [-b bits] selector domain\n" \
		"  sign messages for qinject on a unix socket, or make a\n" \
		"  key pair and print the DNS record to publish\n"

#define CHILDREN_MAX	32	/* requests being answered at once */
#define REQUEST_SECONDS	120	/* a child's whole life */
#define READ_SECONDS	30	/* one read from qinject */

struct peer {
	uid_t	uid;
	pid_t	pid;
	uid_t	smtpd_uid;	/* (uid_t)-1 in single-user mode */
	int	queue_fd;	/* the queue root, for its owner (trust) */
};

/*
 * answer - the one reply: a letter and its text.  Before a refusal the
 * rest of the message is read and dropped: a unix socket closed with
 * bytes unread would be reset (ECONNRESET) under qinject, which might
 * then not see the answer.
 */
static void
answer(int fd, char code, const char *text, size_t n)
{
	char sink[65536];

	if (code != 'S')
		while (fd_read(fd, sink, sizeof(sink)) > 0)
			;
	if (fd_write_all(fd, &code, 1) == -1 || fd_write_all(fd, text, n) == -1)
		log_warn("unable to answer");
}

/* read_line - the request line (LF cut) into line; its length or -1. */
static ssize_t
read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size) {
		if ((r = fd_read(fd, line + n, 1)) != 1)
			return -1;
		if (line[n] == '\n') {
			line[n] = '\0';
			return (ssize_t)n;
		}
		n++;
	}
	return -1;
}

/*
 * read_header - message bytes into head until it holds the whole
 * header (or the message ends); the header's length in *hlen.  Bytes
 * of the body read with it stay in head.  0, -1 read error, or 1 when
 * the header is over DKIM_HEADER_MAX.
 */
static int
read_header(int fd, struct sa *head, size_t *hlen, int *at_eof)
{
	char chunk[16384];
	ssize_t r;

	*at_eof = 0;
	for (;;) {
		if ((*hlen = dkim_header_end(head->s, head->len)) > 0)
			return 0;
		if (head->len > DKIM_HEADER_MAX)
			return 1;
		if ((r = fd_read(fd, chunk, sizeof(chunk))) == -1)
			return -1;
		if (r == 0) {
			*hlen = head->len;
			*at_eof = 1;
			return 0;
		}
		if (sa_catb(head, chunk, (size_t)r) == -1)
			return -1;
	}
}

/*
 * may_sign - whether the peer may have from signed (see the top of
 * this file).  1 yes; 0 no, with why in why.
 */
static int
may_sign(const struct peer *p, const struct dkim_req *rq, const char *from,
    const char **why)
{
	struct trust t;
	int ok;

	if (priv_single_user())
		return 1;
	if (p->uid == p->smtpd_uid) {
		*why = "smtpd_without_auth";
		return rq->origin == DKIM_ORIGIN_AUTH;
	}
	if (trust_load(&t, p->queue_fd) == -1) {
		*why = "control_broken";
		return 0;
	}
	ok = trust_sender_ok(&t, p->uid, from);
	trust_free(&t);
	*why = "from_not_the_users";
	return ok;
}

/*
 * sign - sign what is left of the message on fd (head holds its
 * start) with keys; the signature fields into sig.  0, -1 (err).
 * A key left out has its selector emptied.
 */
static int
sign(int fd, struct sa *head, struct dkim_key *keys, size_t nkeys,
    const char *domain, const char *id, struct sa *sig, char *err,
    size_t esize)
{
	struct qsig s[DKIM_SIG_MAX];
	char chunk[65536];
	size_t i, n;
	ssize_t r;
	int res = -1;

	/*
	 * A key that cannot be used (unreadable, or a type this
	 * libopendkim cannot sign with) is logged and left out: the
	 * others still sign.  None left is a failure.
	 */
	memset(s, 0, sizeof(s));
	for (i = 0, n = 0; i < nkeys; i++) {
		if (qsign_start(&s[n], &keys[i], domain, id, err, esize) == 0) {
			n++;
			continue;
		}
		log_warnx("id=%s dkim=skipped d=%s s=%s: %s", id, domain,
		    keys[i].selector, err);
		qsign_free(&s[n], 1);
		keys[i].selector[0] = '\0';	/* not logged as signed */
	}
	if ((nkeys = n) == 0)
		goto done;
	if (qsign_chunk(s, nkeys, head->s, head->len) == -1)
		goto chunk;
	while ((r = fd_read(fd, chunk, sizeof(chunk))) > 0)
		if (qsign_chunk(s, nkeys, chunk, (size_t)r) == -1)
			goto chunk;
	if (r == -1) {
		snprintf(err, esize, "unable to read the message: %s",
		    strerror(errno));
		goto done;
	}
	res = qsign_finish(s, nkeys, sig, err, esize);
	goto done;
chunk:
	snprintf(err, esize, "libopendkim refused the message");
done:
	qsign_free(s, nkeys);
	return res;
}

/*
 * request - one request on fd, from p: read, decide, sign, answer,
 * log.  Never dies: the child's exit is the end of it.
 */
static void
request(int fd, const struct peer *p)
{
	char line[DKIM_REQ_LINE_MAX + 1], from[512], err[512];
	struct dkim_key keys[DKIM_SIG_MAX];
	struct dkim_req rq;
	struct sa head = SA_INIT, conf = SA_INIT, sig = SA_INIT;
	const char *why = "", *dom;
	size_t hlen, nkeys, bad, i;
	ssize_t n;
	int eof, r;

	if ((n = read_line(fd, line, sizeof(line))) == -1 ||
	    dkim_req_parse(line, (size_t)n, &rq) == -1) {
		log_info("dkim=none reason=malformed_request peer_uid=%lu "
		    "peer_pid=%ld", (unsigned long)p->uid, (long)p->pid);
		answer(fd, 'N', "malformed request", 17);
		return;
	}
	if ((r = read_header(fd, &head, &hlen, &eof)) != 0 ||
	    (r = dkim_from_address(head.s, hlen, from, sizeof(from))) != 1) {
		why = r == -1 ? "read_error" : r == 1 && hlen == 0 ?
		    "header_too_large" : "no_single_from";
		log_info("id=%s dkim=none reason=%s peer_uid=%lu", rq.id, why,
		    (unsigned long)p->uid);
		answer(fd, r == -1 ? 'T' : 'N', why, strlen(why));
		goto out;
	}
	dom = strrchr(from, '@') + 1;
	if ((r = ctl_read("dkim", &conf)) == -1 ||
	    dkim_conf_keys(conf.s, conf.len, dom, keys, DKIM_SIG_MAX, &nkeys,
	    &bad) == -1) {
		log_warnx("id=%s dkim=unsigned reason=control_broken: control/"
		    "dkim line %zu: want domain:selector[:keyfile]", rq.id, bad);
		answer(fd, 'T', "control/dkim is broken", 22);
		goto out;
	}
	if (nkeys == 0) {
		log_info("id=%s dkim=none reason=no_key d=%s peer_uid=%lu",
		    rq.id, dom, (unsigned long)p->uid);
		answer(fd, 'N', "no key", 6);
		goto out;
	}
	if (!may_sign(p, &rq, from, &why)) {
		log_info("id=%s dkim=none reason=%s d=%s from=<%s> "
		    "origin=%s peer_uid=%lu", rq.id, why, dom, from,
		    rq.origin == DKIM_ORIGIN_AUTH ? "auth" : "local",
		    (unsigned long)p->uid);
		answer(fd, 'N', why, strlen(why));
		goto out;
	}
	if (sign(fd, &head, keys, nkeys, dom, rq.id, &sig, err,
	    sizeof(err)) == -1) {
		log_warnx("id=%s dkim=unsigned reason=sign_failed d=%s: %s",
		    rq.id, dom, err);
		answer(fd, 'T', "signing failed", 14);
		goto out;
	}
	answer(fd, 'S', sig.s, sig.len);
	for (i = 0; i < nkeys; i++)
		if (keys[i].selector[0] != '\0')
			log_info("id=%s dkim=signed d=%s s=%s origin=%s "
			    "peer_uid=%lu", rq.id, dom, keys[i].selector,
			    rq.origin == DKIM_ORIGIN_AUTH ? "auth" : "local",
			    (unsigned long)p->uid);
out:
	sa_free(&head);
	sa_free(&conf);
	sa_free(&sig);
}

/* child - one connection: who it is, the request, bounded in time. */
static void
child(int fd, void *arg)
{
	struct peer *p = arg;
	struct ucred uc;
	struct timeval tv;
	socklen_t len = sizeof(uc);

	(void)alarm(REQUEST_SECONDS);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("unable to read the peer's credentials");
		_exit(0);
	}
	p->uid = uc.uid;
	p->pid = uc.pid;
	tv.tv_sec = READ_SECONDS;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	request(fd, p);
	_exit(0);
}

/* check_conf - control/dkim parses; dies if not. */
static void
check_conf(void)
{
	struct sa conf = SA_INIT;
	struct dkim_key k;
	size_t n, bad;

	if (ctl_read("dkim", &conf) == -1)
		diex(EXIT_TEMP, "unable to read control/dkim");
	if (dkim_conf_keys(conf.s, conf.len, "", &k, 1, &n, &bad) == -1)
		diex(EXIT_TEMP, "control/dkim line %zu: want "
		    "domain:selector[:keyfile]", bad);
	sa_free(&conf);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *type = "rsa", *err;
	struct peer p;
	uid_t uid = 0;
	gid_t gid = 0, sg;
	int ch, lfd, gen = 0, bits = 0, r;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "b:d:ght:")) != -1) {
		switch (ch) {
		case 'b':
			bits = (int)strtonum(optarg, 1024, 8192, &err);
			if (err != NULL)
				diex(EXIT_PERM, "-b %s: want 1024 to 8192 "
				    "bits", optarg);
			break;
		case 'd':
			sock = optarg;
			break;
		case 'g':
			gen = 1;
			break;
		case 't':
			type = optarg;
			break;
		case 'h':
			usage_exit(USAGE, 0);
		default:
			usage_exit(USAGE, EXIT_PERM);
		}
	}
	argc -= optind;
	argv += optind;
	if (gen) {
		if (argc != 2 || sock != NULL)
			usage_exit(USAGE, EXIT_PERM);
		return qpdkim_keygen(type, bits, argv[0], argv[1]);
	}
	if (argc != 0 || sock == NULL)
		usage_exit(USAGE, EXIT_PERM);
	memset(&p, 0, sizeof(p));
	p.smtpd_uid = (uid_t)-1;
	if (!priv_single_user()) {
		if (priv_lookup(USER_DKIM, &uid, &gid) == -1)
			diex(EXIT_TEMP, "unable to find user %s: run "
			    "qpost-setup", USER_DKIM);
		if (priv_lookup(USER_SMTPD, &p.smtpd_uid, &sg) == -1)
			diex(EXIT_TEMP, "unable to find user %s: run "
			    "qpost-setup", USER_SMTPD);
	}
	if ((p.queue_fd = open(paths_queue(), O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		die(EXIT_TEMP, "unable to open the queue %s", paths_queue());
	/* 0666: every local user's qinject may ask (who may have what
	 * signed is decided per request) */
	lfd = listen_unix(sock, uid, gid, 0666);
	priv_drop(USER_DKIM);
	check_conf();
	if (qsign_init() == -1)
		diex(EXIT_TEMP, "no signing without libopendkim");
	r = listen_serve(lfd, &(struct listen_serve){ .max = CHILDREN_MAX,
	    .serve = child, .arg = &p });
	if (priv_single_user())
		(void)unlink(sock);
	return r;
}
