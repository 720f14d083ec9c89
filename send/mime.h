/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * mime - the little of MIME (RFC 2045, 2046) that walking a message's
 * parts takes: what a Content-Type field says, and whether a line is a
 * multipart's delimiter.  Shared by the 7-bit conversion (mime7.h) and
 * smtpd's content checks (content.h), which walk the same tree, one in
 * memory and one as the message streams past.
 */
#ifndef QPOST_MIME_H
#define QPOST_MIME_H

#include <stddef.h>

#define MIME_BOUNDARY_MAX	200	/* RFC 2046 allows 70; be lenient */

/* what a Content-Type field says, lower case but for the boundary */
struct mime_ctype {
	char	type[32];
	char	sub[64];
	char	boundary[MIME_BOUNDARY_MAX + 1];
};

/*
 * mime_ctype_parse - the field value v[0, n) (folded lines, comments
 * and quoted parameters allowed) into ct: 0, or -1 when it does not
 * parse as type/subtype, which readers take as the default.
 */
int	mime_ctype_parse(const char *v, size_t n, struct mime_ctype *ct);
/*
 * mime_ctype_default - text/plain, or message/rfc822 for a part of a
 * multipart/digest (RFC 2045 5.2, RFC 2046 5.1.5)
 */
void	mime_ctype_default(struct mime_ctype *ct, int in_digest);
/*
 * mime_delimiter - whether the line p[0, n) (its line end included or
 * not) is "--boundary" (1), "--boundary--" (2) or neither (0); blanks
 * after either are allowed (RFC 2046 5.1.1).
 */
int	mime_delimiter(const char *p, size_t n, const char *boundary);
/* mime_skip_cfws - past blanks, line ends and (nested (comments)) */
size_t	mime_skip_cfws(const char *v, size_t n, size_t i);
/*
 * mime_token - the RFC 2045 token at v[*i] into dst (lower case when
 * fold); 0, or -1 when there is none or it does not fit.
 */
int	mime_token(const char *v, size_t n, size_t *i, char *dst, size_t size,
	    int fold);

#endif
