/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpdkim_sign - DKIM signatures (RFC 6376; Ed25519 as RFC 8463) made
 * by libopendkim: relaxed/relaxed, a fixed list of header fields with
 * From (and the fields a forger would most like to add) oversigned,
 * the message's LF line ends read as CRLF.  See qpdkim.h.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "qpdkim.h"

#define KEY_MAX	16384	/* bytes of a PEM private key file */

static DKIM_LIB *lib;

/*
 * What is signed: RFC 6376 5.4.1's list, less what relays rewrite.
 * Oversigned (signed once more than present, so none can be added
 * after): From always, and the fields that change what a reader sees.
 */
static const char *sign_hdrs[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "content-id", "content-description",
	"resent-date", "resent-from", "resent-sender", "resent-to",
	"resent-cc", "resent-message-id", "list-id", "list-help",
	"list-unsubscribe", "list-unsubscribe-post", "list-subscribe",
	"list-post", "list-owner", "list-archive", "sender",
	NULL
};
static const char *oversign_hdrs[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "sender",
	"content-type", "mime-version", "list-unsubscribe",
	"list-unsubscribe-post",
	NULL
};

/* qsign_init - the library and its options; 0, or -1 (logged). */
int
qsign_init(void)
{
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;

	if ((lib = dkim_init(NULL, NULL)) == NULL) {
		log_warnx("unable to start libopendkim");
		return -1;
	}
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign_hdrs,
	    sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    oversign_hdrs, sizeof(char **)) != DKIM_STAT_OK) {
		log_warnx("unable to set libopendkim's options");
		return -1;
	}
	return 0;
}

/*
 * key_load - the PEM private key at path (relative to the control
 * directory unless absolute) into a malloc'd NUL-terminated buffer,
 * and its algorithm.  0, or -1 with why in err.
 */
static int
key_load(const char *file, struct qsig *s, char *err, size_t size)
{
	char path[1024];
	struct stat st;
	EVP_PKEY *pk;
	BIO *bio;
	ssize_t r;
	int fd, type;

	if (file[0] == '/')
		(void)strlcpy(path, file, sizeof(path));
	else if (ctl_path(path, sizeof(path), file) == -1)
		return (snprintf(err, size, "key path too long"), -1);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, size, "unable to open the key %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size >= KEY_MAX ||
	    (s->key = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)close(fd);
		return (snprintf(err, size, "the key %s is not a key file",
		    path), -1);
	}
	r = fd_read_all(fd, s->key, (size_t)st.st_size) == -1 ? -1 :
	    st.st_size;
	(void)close(fd);
	if (r == -1)
		return (snprintf(err, size, "unable to read the key %s",
		    path), -1);
	s->keylen = (size_t)r;
	s->key[r] = '\0';
	if ((bio = BIO_new_mem_buf(s->key, (int)r)) == NULL)
		return (snprintf(err, size, "out of memory"), -1);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL)
		return (snprintf(err, size, "%s is not a PEM private key",
		    path), -1);
	type = EVP_PKEY_get_base_id(pk);
	EVP_PKEY_free(pk);
	if (type == EVP_PKEY_RSA)
		s->alg = "rsa-sha256";
	else if (type == EVP_PKEY_ED25519)
		s->alg = "ed25519-sha256";
	else
		return (snprintf(err, size, "%s is neither an RSA nor an "
		    "Ed25519 key", path), -1);
	return 0;
}

/*
 * qsign_start - a signing handle for one key of domain, for the
 * message id.  0, or -1 with why in err (the caller frees s).
 */
int
qsign_start(struct qsig *s, const struct dkim_key *k, const char *domain,
    const char *id, char *err, size_t size)
{
	DKIM_STAT st;

	memset(s, 0, sizeof(*s));
	(void)strlcpy(s->selector, k->selector, sizeof(s->selector));
	if (key_load(k->keyfile, s, err, size) == -1)
		return -1;
	if (strcmp(s->alg, "ed25519-sha256") == 0 &&
	    !dkim_libfeature(lib, DKIM_FEATURE_ED25519)) {
		snprintf(err, size, "this libopendkim cannot sign with "
		    "Ed25519 keys");
		return -1;
	}
	s->dkim = dkim_sign(lib, (const unsigned char *)id, NULL, s->key,
	    (const unsigned char *)k->selector,
	    (const unsigned char *)domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, strcmp(s->alg, "rsa-sha256") == 0 ?
	    DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256, -1, &st);
	if (s->dkim == NULL) {
		snprintf(err, size, "libopendkim refused the key: %s",
		    dkim_getresultstr(st));
		return -1;
	}
	return 0;
}

/* qsign_chunk - n bytes more of the message to every handle: 0 or -1. */
int
qsign_chunk(struct qsig *s, size_t ns, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < ns; i++)
		if (dkim_chunk(s[i].dkim, (unsigned char *)(uintptr_t)p, n) !=
		    DKIM_STAT_OK)
			return -1;
	return 0;
}

/*
 * qsign_finish - end of message: each signature as a whole header
 * field, LF line ends, appended to out.  0, or -1 with why in err.
 */
int
qsign_finish(struct qsig *s, size_t ns, struct sa *out, char *err,
    size_t size)
{
	unsigned char *hdr;
	size_t i, j, len;
	DKIM_STAT st;

	for (i = 0; i < ns; i++) {
		if ((st = dkim_chunk(s[i].dkim, NULL, 0)) != DKIM_STAT_OK ||
		    (st = dkim_eom(s[i].dkim, NULL)) != DKIM_STAT_OK ||
		    (st = dkim_getsighdr_d(s[i].dkim,
		    sizeof(DKIM_SIGNHEADER ": ") - 1, &hdr, &len)) !=
		    DKIM_STAT_OK) {
			snprintf(err, size, "libopendkim: %s%s%s",
			    dkim_getresultstr(st),
			    dkim_geterror(s[i].dkim) != NULL ? ": " : "",
			    dkim_geterror(s[i].dkim) != NULL ?
			    dkim_geterror(s[i].dkim) : "");
			return -1;
		}
		if (sa_cats(out, DKIM_SIGNHEADER ": ") == -1)
			return (snprintf(err, size, "out of memory"), -1);
		for (j = 0; j < len; j++)
			if (hdr[j] != '\r' && sa_catc(out, (char)hdr[j]) == -1)
				return (snprintf(err, size, "out of memory"),
				    -1);
		if (sa_catc(out, '\n') == -1)
			return (snprintf(err, size, "out of memory"), -1);
	}
	return 0;
}

/* qsign_free - the handles, and the keys wiped. */
void
qsign_free(struct qsig *s, size_t ns)
{
	size_t i;

	for (i = 0; i < ns; i++) {
		if (s[i].dkim != NULL)
			(void)dkim_free(s[i].dkim);
		if (s[i].key != NULL)
			freezero(s[i].key, s[i].keylen + 1);
		memset(&s[i], 0, sizeof(s[i]));
	}
}
