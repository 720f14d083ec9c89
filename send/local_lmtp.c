/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * local_lmtp - hand the message to an LMTP server (RFC 2033), such as
 * Dovecot's lmtp service, for this run's one recipient: the
 * instruction `lmtp:unix:/path', `lmtp:host:port' or `lmtp:[v6]:port'.
 *
 * The envelope recipient goes in RCPT TO; the message goes with the
 * Delivered-To line in front but no Return-Path (the server adds its
 * own from MAIL FROM, as a mail store does at final delivery).  The
 * server's reply to that recipient decides: 2xx delivered, 5xx
 * permanent, anything else (4xx, no reply, a broken connection)
 * temporary; its text, on one line, is the result text.
 *
 * Control files: helohost (else me) for LHLO, timeoutconnect (default
 * 60 s), timeoutremote (when present, every reply's time limit; else
 * 300 s, 600 s for the one after the message).
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_knob.h"
#include "lmtp_client.h"
#include "local.h"
#include "log.h"
#include "sa.h"


/* name_ok - fit for the LHLO line: printable, no space. */
static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/*
 * load_cfg - LHLO's name and the time limits from control/.  0, or -1
 * with text set when a control file is broken (temporary: an admin
 * can fix it).
 */
static int
load_cfg(struct lmtp_cfg *c, char *helo, size_t hsize, char *text,
    size_t size)
{
	struct sa name = SA_INIT;
	long long tc = 60, tr = 0;
	int r;

	if ((r = ctl_line("helohost", &name)) == 0)
		r = ctl_line("me", &name);
	if (r == -1 || (r == 1 && !name_ok(name.s)) ||
	    ctl_knob("timeoutconnect", &tc) == -1 ||
	    ctl_knob("timeoutremote", &tr) == -1) {
		sa_free(&name);
		(void)snprintf(text, size, "4.3.5 unable to read control/ "
		    "(helohost, me, timeoutconnect or timeoutremote)");
		return -1;
	}
	(void)strlcpy(helo, r == 1 ? name.s : "localhost", hsize);
	sa_free(&name);
	c->helo = helo;
	c->timeout_connect = (int)tc;
	c->timeout = (int)tr;
	return 0;
}

int
local_lmtp(const struct local_msg *m, const char *destination, char *text,
    size_t size)
{
	char helo[ADDR_DOMAIN_MAX + 1];
	struct lmtp_cfg c;
	struct lmtp_dest d;
	struct lmtp_msg lm;
	struct lmtp_result res;
	const char *rcpt[1];

	if (lmtp_dest_parse(destination, &d) == -1) {
		(void)snprintf(text, size, "5.3.5 <%s>: bad LMTP destination "
		    "\"lmtp:%s\": want lmtp:unix:/path, lmtp:host:port or "
		    "lmtp:[v6]:port", m->recipient, destination);
		return LOCAL_PERM;
	}
	if (load_cfg(&c, helo, sizeof(helo), text, size) == -1)
		return LOCAL_TEMP;
	rcpt[0] = m->recipient;
	lm.sender = m->sender;
	lm.nrcpt = 1;
	lm.rcpt = rcpt;
	lm.prefix = m->dtline;
	lm.fd = m->msgfd;
	lmtp_deliver(&c, &d, &lm, &res);
	(void)strlcpy(text, res.text, size);
	if (res.status == LMTP_OK) {
		log_info("id=%s delivered to=<%s> lmtp=%s", m->id,
		    m->recipient, d.name);
		return LOCAL_OK;
	}
	return res.status == LMTP_PERM ? LOCAL_PERM : LOCAL_TEMP;
}
