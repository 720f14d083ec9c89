/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * smtpd_srs - a recipient that is one of this host's SRS addresses
 * (lib/srs.h): the return path sched gave a message it forwarded, to
 * which another host now sends a bounce or a reply.  When control/srskey
 * exists and the address is SRS0=...@SRSDOMAIN (control/srsdomain, else
 * control/me), its hash and date are checked with the key and the
 * recipient becomes the original sender, which this host then relays
 * to, whoever the client; a forged or expired one is refused.  smtpd
 * reads the key as it reads tls.key (root:qpsmtpd 0440).
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "log.h"
#include "sa.h"
#include "smtpd_srs.h"
#include "srs.h"

int
smtpd_srs_rcpt(const char *plain, const char *domain, const char *me,
    char *out, size_t size, const char **why)
{
	struct sa dom = SA_INIT, text = SA_INIT;
	struct srs_key k;
	int r;

	if (!srs_is_srs(plain))
		return 0;
	if ((r = ctl_line("srsdomain", &dom)) == -1) {
		sa_free(&dom);
		return -2;
	}
	r = strcasecmp(domain, r == 1 ? dom.s : me) == 0;
	sa_free(&dom);
	if (!r)
		return 0;
	if ((r = ctl_read("srskey", &text)) != 1) {
		sa_free(&text);
		return r == 0 ? 0 : -2;	/* no key: SRS is off */
	}
	if (srs_key_parse(text.s, text.len, &k) == -1) {
		log_warnx("control file srskey: want one line of %d to %d "
		    "printable characters", SRS_KEY_MIN, SRS_KEY_MAX);
		r = -2;
	} else
		r = srs_reverse(&k, plain, (long long)time(NULL), out, size,
		    why);
	explicit_bzero(&k, sizeof(k));
	if (text.s != NULL)
		explicit_bzero(text.s, text.len);
	sa_free(&text);
	return r;
}
