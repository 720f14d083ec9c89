/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qpdkim_key - make a DKIM key pair with libcrypto (RSA 2048 or more,
 * or Ed25519): the private key as PEM in control/dkimkeys/, readable
 * by the signer's account alone, and the DNS TXT record to publish,
 * printed and written beside it.  See qpost-qpdkim(8), -g.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "atomic.h"
#include "buf.h"
#include "ctl.h"
#include "dkim_req.h"
#include "log.h"
#include "paths.h"
#include "priv.h"
#include "qpdkim.h"
#include "sa.h"

#define PUB_MAX	1024	/* bytes of a DER public key */

/* keys_dir - control/dkimkeys, made 0700 (the signer's in system mode). */
static int
keys_dir(uid_t uid, gid_t gid)
{
	char path[1024];
	int fd;

	if (ctl_path(path, sizeof(path), "dkimkeys") == -1)
		diex(EXIT_PERM, "the control directory's path is too long");
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		die(EXIT_TEMP, "unable to make %s", path);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		die(EXIT_TEMP, "unable to open %s", path);
	if (!priv_single_user() && (fchown(fd, uid, gid) == -1 ||
	    fchmod(fd, 0700) == -1))
		die(EXIT_TEMP, "unable to give %s to %s", path, USER_DKIM);
	return fd;
}

/* public_b64 - the p= value: RSA's SubjectPublicKeyInfo, Ed25519 raw. */
static void
public_b64(EVP_PKEY *pk, int is_ed, char *out, size_t size)
{
	unsigned char der[PUB_MAX], *p = der;
	size_t n = sizeof(der);
	int len;

	if (is_ed) {
		if (EVP_PKEY_get_raw_public_key(pk, der, &n) != 1)
			diex(EXIT_TEMP, "unable to get the public key");
	} else {
		if ((len = i2d_PUBKEY(pk, NULL)) <= 0 ||
		    (size_t)len > sizeof(der) || i2d_PUBKEY(pk, &p) != len)
			diex(EXIT_TEMP, "unable to encode the public key");
		n = (size_t)len;
	}
	if ((n + 2) / 3 * 4 + 1 > size)
		diex(EXIT_TEMP, "the public key is too large");
	(void)EVP_EncodeBlock((unsigned char *)out, der, (int)n);
}

/*
 * txt_record - the zone file line: the value cut into strings of at
 * most 255 bytes (RFC 1035 character-strings), one TXT record.
 */
static int
txt_record(struct sa *t, const char *sel, const char *dom, const char *val)
{
	size_t n = strlen(val), i;

	if (sa_cats(t, sel) == -1 || sa_cats(t, "._domainkey.") == -1 ||
	    sa_cats(t, dom) == -1 || sa_cats(t, ". IN TXT") == -1)
		return -1;
	for (i = 0; i < n; i += 250)
		if (sa_cats(t, " \"") == -1 || sa_catb(t, val + i,
		    n - i < 250 ? n - i : 250) == -1 || sa_catc(t, '"') == -1)
			return -1;
	return sa_catc(t, '\n');
}

/*
 * qpdkim_keygen - make the pair for selector and domain; type "rsa"
 * (bits, 0 for 2048) or "ed25519".  Never overwrites a key.  Returns
 * the exit code.
 */
int
qpdkim_keygen(const char *type, int bits, const char *selector,
    const char *domain)
{
	char line[512], name[256], txtname[256], ldom[256];
	char b64[PUB_MAX * 2], val[PUB_MAX * 2 + 32];
	struct dkim_key k;
	struct sa txt = SA_INIT;
	size_t found, bad;
	uid_t uid = 0;
	gid_t gid = 0;
	EVP_PKEY *pk;
	BIO *bio;
	char *pem;
	long pemlen;
	int dfd, is_ed = strcmp(type, "ed25519") == 0;

	if (!is_ed && strcmp(type, "rsa") != 0)
		diex(EXIT_PERM, "-t %s: the types are rsa and ed25519", type);
	if (bits == 0)
		bits = 2048;
	if (!is_ed && (bits < 1024 || bits > 8192))
		diex(EXIT_PERM, "-b %d: RSA keys are 1024 to 8192 bits "
		    "(RFC 8301: at least 1024, 2048 advised)", bits);
	(void)snprintf(line, sizeof(line), "%s:%s", domain, selector);
	if (dkim_conf_keys(line, strlen(line), domain, &k, 1, &found,
	    &bad) == -1 || found != 1)
		diex(EXIT_PERM, "%s %s: want a selector of letters, digits, "
		    "'.', '-' or '_' and a domain name", selector, domain);
	if (!priv_single_user() && priv_lookup(USER_DKIM, &uid, &gid) == -1)
		diex(EXIT_TEMP, "unable to find user %s: run qpost-setup",
		    USER_DKIM);
	dfd = keys_dir(uid, gid);
	(void)strlcpy(name, k.keyfile + sizeof("dkimkeys/") - 1, sizeof(name));
	(void)snprintf(txtname, sizeof(txtname), "%.*s.txt",
	    (int)(strlen(name) - 4), name);
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		diex(EXIT_PERM, "control/%s exists: remove it first, or use "
		    "another selector (a new selector lets the old key "
		    "stay in DNS until mail signed with it is delivered)",
		    k.keyfile);

	pk = is_ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (pk == NULL || (bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0)
		diex(EXIT_TEMP, "unable to make the key with libcrypto");
	if (atomic_write_file(dfd, name, pem, (size_t)pemlen, 0400) == -1)
		die(EXIT_TEMP, "unable to write control/%s", k.keyfile);
	(void)BIO_set_close(bio, BIO_CLOSE);
	BIO_free(bio);	/* the PEM text went with it (OPENSSL_cleanse'd) */
	if (!priv_single_user() && fchownat(dfd, name, uid, gid,
	    AT_SYMLINK_NOFOLLOW) == -1)
		die(EXIT_TEMP, "unable to give control/%s to %s", k.keyfile,
		    USER_DKIM);

	public_b64(pk, is_ed, b64, sizeof(b64));
	EVP_PKEY_free(pk);
	(void)snprintf(val, sizeof(val), "v=DKIM1; k=%s; p=%s",
	    is_ed ? "ed25519" : "rsa", b64);
	for (bad = 0; domain[bad] != '\0' && bad + 1 < sizeof(ldom); bad++)
		ldom[bad] = (char)tolower((unsigned char)domain[bad]);
	ldom[bad] = '\0';
	if (txt_record(&txt, selector, ldom, val) == -1)
		diex(EXIT_TEMP, "out of memory");
	if (atomic_write_file(dfd, txtname, txt.s, txt.len, 0644) == -1)
		die(EXIT_TEMP, "unable to write control/dkimkeys/%s", txtname);
	(void)close(dfd);
	if (fd_write_all(1, txt.s, txt.len) == -1)
		die(EXIT_TEMP, "unable to write the record");
	log_info("made %s key control/%s; publish the TXT record above "
	    "(also in control/dkimkeys/%s), then add the line %s:%s to "
	    "control/dkim", is_ed ? "an Ed25519" : "an RSA", k.keyfile,
	    txtname, domain, selector);
	sa_free(&txt);
	return 0;
}
