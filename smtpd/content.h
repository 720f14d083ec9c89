/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * content - header and body checks (checks.h) applied to a message as
 * it streams into the queue, as Postfix's cleanup applies its
 * header_checks and body_checks.  A pure state machine with no I/O, so
 * it can be fuzzed: the queue form goes in, in pieces of any size, and
 * the message as the checks leave it comes out.
 *
 * Each header field is checked whole, its folded lines joined with
 * their line breaks kept; each body line on its own, without its line
 * end.  The message is walked as a MIME tree (RFC 2045, 2046): the
 * header fields of every part and of every attached message are
 * header-checked too (Postfix's mime_header_checks and
 * nested_header_checks, which default to header_checks), and the body
 * check starts again in each part.  Delimiter lines are body lines,
 * as to Postfix's body_checks.
 *
 * Limits, so that memory and time do not grow with what a client
 * sends: a field is checked on its first CONTENT_FIELD_MAX octets (the
 * rest follows what the check decided: removed with a removed field,
 * kept otherwise); a body is checked on its first CONTENT_BODY_MAX
 * octets in each part (Postfix's body_checks_size_limit); multiparts
 * nested deeper than CONTENT_DEPTH are body lines; a line longer than
 * CONTENT_LINE_MAX ends all checking (smtpd refuses such a message
 * anyway: RFC 5321 allows 1000 octets).
 */
#ifndef QPOST_CONTENT_H
#define QPOST_CONTENT_H

#include <stddef.h>

#include "checks.h"
#include "mime.h"
#include "sa.h"

#define CONTENT_FIELD_MAX	16384
#define CONTENT_BODY_MAX	51200
#define CONTENT_LINE_MAX	4096
#define CONTENT_DEPTH		32
#define CONTENT_BCC_MAX		16	/* addresses BCC may add */

/*
 * what matched, for the log: "header" or "body", the checked text
 * (NUL-terminated) and the action; or, with a NULL action, the problem
 * that kept a check from deciding (the field or line went on as it was)
 */
typedef void content_log_fn(void *, const char *, const char *,
    const struct check_action *, const char *);

struct content {
	const struct checks	*header;	/* NULL or empty: none */
	const struct checks	*body;
	content_log_fn		*log;
	void			*log_arg;

	int			 state;		/* internal from here */
	int			 gave_up;	/* a line over the limit */
	struct sa		 line;		/* a line not yet ended */
	struct sa		 field;		/* a header field gathered */
	int			 field_over;	/* 0, or past the limit: */
	int			 field_drop;	/* ... its rest removed */
	struct sa		 subject;
	struct sa		 result;
	struct mime_ctype	 ct;		/* of this header section */
	struct {
		char	boundary[MIME_BOUNDARY_MAX + 1];
		int	is_digest;
	}			 stack[CONTENT_DEPTH];
	size_t			 depth;
	unsigned long long	 body_seen;	/* octets of this part */

	/* what the checks decided for the message */
	enum check_verdict	 verdict;	/* DUNNO, REFUSE or DISCARD */
	struct policy_action	 refusal;	/* CHECK_REFUSE's reply */
	struct sa		 redirect;	/* "" or the address */
	struct sa		 bcc;		/* NUL-terminated, back to back */
	size_t			 nbcc;
	int			 hold;		/* HOLD: queue it held */
	int			 nomem;		/* checking failed for memory */
};

void	content_init(struct content *, const struct checks *,
	    const struct checks *, content_log_fn *, void *);
	/* ready for a message; keeps the sas' memory between messages */
int	content_feed(struct content *, const char *, size_t, struct sa *);
	/* the next n octets of the queue form in; what goes on appended to
	   the sa: 0, or -1 when it could not grow */
int	content_end(struct content *, struct sa *);
	/* the message ended: what was held back appended: 0 or -1 */
void	content_free(struct content *);
int	content_bcc_add(struct sa *, size_t *, const char *);
	/* the address to a BCC list (NUL-terminated, back to back) of n
	   addresses, unless it is there or holds CONTENT_BCC_MAX: 0 or -1 */

#endif
