/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpverify - check SPF, DKIM and DMARC for one message that came from
 * outside on port 25, and say so in an Authentication-Results field.
 *
 *	qpverify [-h] -i ip [-H helo] [-f sender]
 *
 * Without -f the sender is unknown (not the null sender): only the
 * HELO identity is checked for SPF.
 * The message is on fd 0, a regular file (it is read twice); fd 1 gets
 * the message again with our Authentication-Results field at the top
 * and every Authentication-Results field claiming our authserv-id
 * removed (RFC 8601 5).  The exit code is qinject's (qinject_exit.h):
 * 0, QI_SPF_FAIL or QI_DMARC_FAIL when control/verify says to refuse
 * such mail (then nothing is written), or a temporary one.  qinject
 * runs it (qinject_verify.c); see qpost-qpverify(8).
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "dns.h"
#include "header.h"
#include "log.h"
#include "qinject_exit.h"
#include "verify.h"
#include "verify_ar.h"

#define USAGE	"usage: qpverify [-h] -i ip [-H helo] [-f sender]"
#define HEAD_READ	(HEADER_BLOCK_MAX + 2)

struct policy {
	int	reject_spf;
	int	reject_dmarc;
};

/* load_policy - control/verify's words: record (default), reject... */
static void
load_policy(struct policy *p)
{
	struct sa w = SA_INIT;
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = ctl_line("verify", &w)) == -1)
		diex(QI_CONTROL, "unable to read control/verify: see above");
	if (r == 0 || strcmp(w.s, "record") == 0 || strcmp(w.s, "off") == 0)
		;
	else if (strcmp(w.s, "reject") == 0)
		p->reject_spf = p->reject_dmarc = 1;
	else if (strcmp(w.s, "reject-spf") == 0)
		p->reject_spf = 1;
	else if (strcmp(w.s, "reject-dmarc") == 0)
		p->reject_dmarc = 1;
	else
		diex(QI_CONTROL, "control/verify: \"%s\" is none of off, "
		    "record, reject, reject-spf, reject-dmarc", w.s);
	sa_free(&w);
}

/* load_id - our authserv-id: control/authservid, else control/me. */
static void
load_id(char *id)
{
	struct sa w = SA_INIT;
	size_t i, n;
	int r;

	if ((r = ctl_line("authservid", &w)) == 0)
		r = ctl_line("me", &w);
	if (r == -1)
		diex(QI_CONTROL, "unable to read control/authservid or "
		    "control/me: see above");
	if (r == 0)
		diex(QI_CONTROL, "neither control/authservid nor control/me "
		    "names this host: write its name into control/me");
	n = strlen(w.s);
	while (n > 0 && w.s[n - 1] == '.')
		n--;
	if (n == 0 || n > AR_ID_MAX)
		diex(QI_CONTROL, "control/authservid: not a host name");
	for (i = 0; i < n; i++)
		id[i] = w.s[i] >= 'A' && w.s[i] <= 'Z' ? w.s[i] + 32 : w.s[i];
	id[n] = '\0';
	if (!ar_is_token(id))
		diex(QI_CONTROL, "control/authservid: \"%s\" has a blank or "
		    "one of ()<>@,;:\\\"/[]?= in it; name the host", id);
	sa_free(&w);
}

/*
 * read_head - the start of the message (up to HEAD_READ bytes) into
 * head; the length of its header section in *hdrlen and where the
 * body starts (after the empty line) in *bodyoff.
 */
static void
read_head(struct sa *head, size_t *hdrlen, off_t *bodyoff)
{
	struct stat st;
	size_t want, n, k;
	ssize_t r;

	if (fstat(0, &st) == -1 || !S_ISREG(st.st_mode))
		diex(QI_READ, "the message on fd 0 must be a regular file");
	want = st.st_size < (off_t)HEAD_READ ? (size_t)st.st_size : HEAD_READ;
	if (sa_ready(head, want + 1) == -1)
		die(QI_NOMEM, "out of memory");
	for (n = 0; n < want; n += (size_t)r) {
		r = pread(0, head->s + n, want - n, (off_t)n);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			die(QI_READ, "unable to read the message");
	}
	head->len = n;
	*hdrlen = 0;
	while ((k = ar_field_len(head->s + *hdrlen, n - *hdrlen)) > 0)
		*hdrlen += k;
	*bodyoff = (off_t)*hdrlen;
	if (*hdrlen < n && head->s[*hdrlen] == '\n')
		*bodyoff += 1;
	else if (*hdrlen + 1 < n && head->s[*hdrlen] == '\r' &&
	    head->s[*hdrlen + 1] == '\n')
		*bodyoff += 2;
}

/* copy_rest - fd 0 from off to its end onto out. */
static void
copy_rest(struct buf *out, off_t off)
{
	char chunk[65536];
	ssize_t r;

	if (lseek(0, off, SEEK_SET) == -1)
		die(QI_READ, "unable to read the message");
	while ((r = fd_read(0, chunk, sizeof(chunk))) > 0)
		if (buf_put(out, chunk, (size_t)r) == -1)
			die(QI_WRITE, "unable to write the message");
	if (r == -1)
		die(QI_READ, "unable to read the message");
}

/* write_message - our field, the header without forgeries, the rest. */
static void
write_message(const char *id, const struct verify *v, const struct sa *head,
    size_t hdrlen, size_t *removed)
{
	struct sa out = SA_INIT;
	struct buf b;
	char obuf[65536];

	if (verify_header(id, v, &out) == -1)
		die(QI_NOMEM, "out of memory");
	ar_strip(head->s, hdrlen, id, &out, removed);
	if (out.len == (size_t)-1)
		die(QI_NOMEM, "out of memory");
	buf_init(&b, 1, obuf, sizeof(obuf));
	if (buf_put(&b, out.s, out.len) == -1)
		die(QI_WRITE, "unable to write the message");
	copy_rest(&b, (off_t)hdrlen);
	if (buf_flush(&b) == -1)
		die(QI_WRITE, "unable to write the message");
	sa_free(&out);
}

/* word - a result for the log line ("-" when not checked). */
static const char *
word(const char *w)
{
	return w == NULL ? "-" : w;
}

int
main(int argc, char *argv[])
{
	struct verify_in in = { NULL, "", NULL };
	struct verify v;
	struct policy pol;
	struct sa head = SA_INIT;
	char id[AR_ID_MAX + 1];
	size_t hdrlen, removed = 0;
	off_t bodyoff;
	int ch, code = QI_OK;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "f:hH:i:")) != -1) {
		switch (ch) {
		case 'f':
			in.sender = optarg;
			break;
		case 'H':
			in.helo = optarg;
			break;
		case 'i':
			in.ip = optarg;
			break;
		case 'h':
			usage_exit(USAGE, 0);
		default:
			usage_exit(USAGE, QI_REFUSED);
		}
	}
	if (optind != argc || in.ip == NULL)
		usage_exit(USAGE, QI_REFUSED);
	load_policy(&pol);
	load_id(id);
	switch (dns_init()) {
	case DNS_BROKEN:
		diex(QI_CONTROL, "control/resolvers is malformed: see above");
	case DNS_TEMP:
		diex(QI_TEMPREFUSED, "unable to set up the resolver");
	}
	memset(&v, 0, sizeof(v));
	read_head(&head, &hdrlen, &bodyoff);
	if (verify_spf(&in, &v) == -1)
		diex(QI_NOMEM, "unable to set up libspf2");
	if (lseek(0, bodyoff, SEEK_SET) == -1 ||
	    verify_dkim(0, head.s, hdrlen, &v) == -1)
		diex(QI_TEMPREFUSED, "DKIM verification failed: see above");
	if (verify_dmarc(&in, head.s, hdrlen, &v) == -1)
		diex(QI_TEMPREFUSED, "DMARC evaluation failed: see above");
	if (pol.reject_spf && ((v.spf_mfrom != NULL &&
	    strcmp(v.spf_mfrom, "fail") == 0) ||
	    (v.spf_helo != NULL && strcmp(v.spf_helo, "fail") == 0)))
		code = QI_SPF_FAIL;
	else if (pol.reject_dmarc && v.dmarc_reject)
		code = QI_DMARC_FAIL;
	if (code == QI_OK)
		write_message(id, &v, &head, hdrlen, &removed);
	log_info("verify ip=%s helo=%s from=<%s> spf=%s spf_helo=%s dkim=%s "
	    "dmarc=%s header.from=%s removed=%zu verdict=%s", in.ip,
	    in.helo[0] != '\0' ? in.helo : "-", in.sender != NULL ?
	    in.sender : "?", word(v.spf_mfrom),
	    word(v.spf_helo), v.ndkim > 0 ? v.dkim[0].result : "none",
	    word(v.dmarc), v.from_domain[0] != '\0' ? v.from_domain : "-",
	    removed, code == QI_OK ? "accept" : code == QI_SPF_FAIL ?
	    "reject_spf" : "reject_dmarc");
	sa_free(&head);
	dns_close();
	return code;
}
