/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_dkim - ask the DKIM signer for a signature and put it on top
 * of the message in the drop file.  See qinject_dkim.h.
 *
 * Runs inside qinject, as whoever called it (smtpd's account for mail
 * from the network): it holds no key and needs none.  What it sends
 * over the signer's socket: one line "qpdkim1 <origin> <id>", then the
 * message as the drop file holds it; the signer answers with one byte,
 * 'S' and the DKIM-Signature field(s), 'N' and why it will not sign
 * (no key for the domain, a From it may not sign for), or 'T' and a
 * temporary failure.  The origin is only a claim: the signer decides
 * from the kernel's word on who connected (SO_PEERCRED).
 *
 * Failing open: when the signer cannot be reached or fails, the
 * message is queued unsigned with one log line, unless
 * control/dkimrequired is 1; then qinject fails temporarily and the
 * sender tries again later.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "ctl_knob.h"
#include "dkim_req.h"
#include "log.h"
#include "qinject_dkim.h"
#include "qinject_exit.h"

#define SIGNER_TIMEOUT	30	/* seconds per read or write */

/*
 * qdkim_origin - whether this injection may be signed, and as what:
 * the command line is a local user's (sendmail, scripts); under the
 * qmail-queue protocol only what the caller said in QPOST_SIGN, which
 * smtpd sets to "auth" after a successful AUTH and sendmail to
 * "local".  0: not to be signed.
 */
int
qdkim_origin(int queue_mode)
{
	const char *v;

	if (!queue_mode)
		return DKIM_ORIGIN_LOCAL;
	if ((v = getenv("QPOST_SIGN")) == NULL)
		return 0;
	if (strcmp(v, "auth") == 0)
		return DKIM_ORIGIN_AUTH;
	if (strcmp(v, "local") == 0)
		return DKIM_ORIGIN_LOCAL;
	return 0;
}

/* pio_all - pread (is_write 0) or pwrite all n bytes at off. */
static int
pio_all(int fd, void *p, size_t n, off_t off, int is_write)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		r = is_write ? pwrite(fd, c, n, off) : pread(fd, c, n, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return (errno = is_write ? ENOSPC : EIO, -1);
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/*
 * signer_connect - a connected socket to the signer (control/dkimsocket,
 * else DKIM_SOCKET_DEFAULT), with timeouts; -1 with why in *why.
 */
static int
signer_connect(const char **why)
{
	struct sockaddr_un sun;
	struct timeval tv;
	struct sa path = SA_INIT;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((r = ctl_line("dkimsocket", &path)) == -1) {
		*why = "control/dkimsocket is broken";
		return -1;
	}
	if (strlcpy(sun.sun_path, r == 1 ? path.s : DKIM_SOCKET_DEFAULT,
	    sizeof(sun.sun_path)) >= sizeof(sun.sun_path) ||
	    sun.sun_path[0] != '/') {
		sa_free(&path);
		*why = "control/dkimsocket is not an absolute path that fits";
		return -1;
	}
	sa_free(&path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*why = "unable to make a socket";
		return -1;
	}
	tv.tv_sec = SIGNER_TIMEOUT;
	tv.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		*why = "unable to reach the signer";
		(void)close(fd);
		return -1;
	}
	return fd;
}

/*
 * send_message - the request line and len bytes of rfd from start to
 * the signer.  A signer that has its answer early (no key for the
 * domain) may stop reading: EPIPE is then no failure, the answer
 * waits.  0, or -1.
 */
static int
send_message(int sfd, int rfd, off_t start, uint64_t len, const char *id,
    int origin)
{
	char chunk[65536], line[DKIM_REQ_LINE_MAX];
	size_t n;
	int l;

	l = snprintf(line, sizeof(line), "qpdkim1 %s %s\n",
	    origin == DKIM_ORIGIN_AUTH ? "auth" : "local", id);
	if (l < 0 || (size_t)l >= sizeof(line))
		return -1;
	if (fd_write_all(sfd, line, (size_t)l) == -1)
		return errno == EPIPE ? 0 : -1;
	while (len > 0) {
		n = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		if (pio_all(rfd, chunk, n, start, 0) == -1)
			return -1;
		if (fd_write_all(sfd, chunk, n) == -1)
			return errno == EPIPE ? 0 : -1;
		start += (off_t)n;
		len -= n;
	}
	(void)shutdown(sfd, SHUT_WR);
	return 0;
}

/* read_reply - the signer's whole answer into buf; its length, or -1. */
static ssize_t
read_reply(int sfd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	while (got < size) {
		if ((r = fd_read(sfd, buf + got, size - got)) == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got == size ? -1 : (ssize_t)got;
}

/*
 * insert_top - move the message (len bytes at start) down by n bytes
 * and write hdr in front of it, working back from the end so nothing
 * is overwritten before it is copied; then leave the write offset at
 * the new end, where the envelope goes.  0, or -1.
 */
static int
insert_top(int wfd, int rfd, off_t start, uint64_t len, const char *hdr,
    size_t n)
{
	char chunk[65536];
	off_t end = start + (off_t)(len + n);
	size_t c;

	while (len > 0) {
		c = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		len -= c;
		if (pio_all(rfd, chunk, c, start + (off_t)len, 0) == -1 ||
		    pio_all(wfd, chunk, c, start + (off_t)(len + n), 1) == -1)
			return -1;
	}
	/* not SEEK_END: a reused drop file is longer until it is cut */
	if (pio_all(wfd, (void *)(uintptr_t)hdr, n, start, 1) == -1 ||
	    lseek(wfd, end, SEEK_SET) == -1)
		return -1;
	return 0;
}

/*
 * reopen - the drop file again, for reading (it was made write-only),
 * checked to be the very file we write.
 */
static int
reopen(const struct atomic *f)
{
	struct stat a, b;
	int fd;

	if ((fd = openat(f->tmpdir, f->tmpname, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &a) == -1 || fstat(f->fd, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		(void)close(fd);
		return (errno = EBADF, -1);
	}
	return fd;
}

/*
 * ask - one exchange with the signer for the message in f; on 'S' the
 * signature is put on top and *len grows.  1 signed, 0 not to be
 * signed, -1 failed (why in *why).
 */
static int
ask(struct atomic *f, off_t start, uint64_t *len, const char *id,
    int origin, const char **why)
{
	char reply[DKIM_REPLY_MAX + 2];
	ssize_t n;
	int sfd, rfd, r = -1;

	if ((sfd = signer_connect(why)) == -1)
		return -1;
	if ((rfd = reopen(f)) == -1) {
		*why = "unable to reopen the drop file";
		(void)close(sfd);
		return -1;
	}
	if (send_message(sfd, rfd, start, *len, id, origin) == -1)
		*why = "unable to send the message to the signer";
	else if ((n = read_reply(sfd, reply, sizeof(reply))) <= 0)
		*why = n == 0 ? "the signer closed without an answer" :
		    "no answer from the signer";
	else if (reply[0] == 'N')
		r = 0;
	else if (reply[0] == 'T')
		*why = "the signer failed: see its log";
	else if (reply[0] != 'S' || !dkim_reply_valid(reply + 1,
	    (size_t)n - 1))
		*why = "the signer's answer is malformed";
	else if (insert_top(f->fd, rfd, start, *len, reply + 1,
	    (size_t)n - 1) == -1)
		/* the message may be half moved: never queue it so */
		die(QI_WRITE, "id=%s unable to put the signature into the "
		    "drop file", id);
	else {
		*len += (uint64_t)n - 1;
		r = 1;
	}
	(void)close(rfd);
	(void)close(sfd);
	return r;
}

/*
 * qdkim_sign - sign the message (len bytes at start in the drop file f)
 * when control/dkim exists and origin allows: the signer decides the
 * rest.  0 (signed, not to be signed, or failed open: logged), or -1
 * when it failed and control/dkimrequired asks to defer (logged).
 */
int
qdkim_sign(struct atomic *f, off_t start, uint64_t *len, const char *id,
    int origin)
{
	char path[1024];
	const char *why = NULL;
	long long required = 0;
	struct stat st;

	if (origin == 0 || ctl_path(path, sizeof(path), "dkim") == -1 ||
	    (stat(path, &st) == -1 && errno == ENOENT))
		return 0;	/* signing is not configured */
	if (ask(f, start, len, id, origin, &why) >= 0)
		return 0;
	if (ctl_knob("dkimrequired", &required) == -1)
		required = 1;	/* broken: the safe reading is the strict one */
	log_warnx("id=%s dkim=unsigned reason=%s%s", id, why,
	    required ? ": deferred (control/dkimrequired)" :
	    ": queued unsigned");
	return required ? -1 : 0;
}
