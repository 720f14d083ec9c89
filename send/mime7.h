/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mime7 - a message with 8-bit content made 7-bit for a server that
 * does not offer 8BITMIME (RFC 6152 3: convert, or bounce; RFC 2045,
 * 2046).  Each MIME part whose body has a byte over 0x7f is encoded as
 * quoted-printable and its Content-Transfer-Encoding says so; multipart
 * and message/rfc822 bodies are walked into, not encoded (RFC 2046 5.1,
 * 5.2.1 forbid it); parts without 8-bit bytes are copied as they are.
 * A message without MIME-Version gets one, and Content-Type text/plain
 * with charset unknown-8bit if it has none (RFC 1428 3).
 *
 * What cannot be made 7-bit without guessing is refused: 8-bit bytes
 * in a header field (that would take RFC 2047 and knowing the
 * charset), in a multipart's preamble or epilogue, in a part already
 * encoded as base64 or quoted-printable (it is broken), under another
 * message/ type, or under an unknown encoding; a multipart without a
 * boundary; nesting deeper than MIME7_DEPTH.
 *
 * Lines may end in LF or CRLF; the header sections are copied with
 * their line ends as they are, encoded bodies end their lines in LF,
 * as queue files do (smtp_dot.h makes every line end CRLF).
 */
#ifndef QPOST_MIME7_H
#define QPOST_MIME7_H

#include <stddef.h>

#include "sa.h"

#define MIME7_DEPTH	32	/* nested multipart and message parts */
#define MIME7_LINE	76	/* an encoded line's most bytes (RFC 2045 6.7) */

/*
 * mime7_convert - append the 7-bit form of msg to out.  0; 1 when it
 * cannot be converted, with the reason in why (a fixed string); -1
 * when out could not grow (errno).
 */
int	mime7_convert(const char *msg, size_t len, struct sa *out,
	    const char **why);
/*
 * mime7_qp - append p[0, n) as a quoted-printable body: each line end
 * (LF or CRLF) becomes LF, any other byte that is not printable ASCII
 * (a bare CR too) is encoded.  0, or -1 when out could not grow.
 */
int	mime7_qp(struct sa *out, const char *p, size_t n);
/* mime7_has8 - whether any byte of p[0, n) is over 0x7f */
int	mime7_has8(const char *p, size_t n);

#endif
