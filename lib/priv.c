/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * priv - the privilege drop.  setgroups to the one group, setresgid,
 * setresuid, then getresuid/getresgid to prove it took: any failure is
 * fatal.  An instance started by an ordinary user is in single-user
 * mode: every program runs as that user and nothing here changes ids.
 */
#include <sys/types.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/*
 * Set once priv_drop has made a process started as root into one of
 * the system accounts: it stays in system mode (smtpd must still find
 * the system's users after becoming qpsmtpd), although it is no longer
 * root.  A drop to a single-user account (priv_drop_ids alone, as
 * qpost-start does for control/singleuser) leaves it unset.
 */
static int system_dropped;

/* priv_single_user - true when not started as root. */
int
priv_single_user(void)
{
	return !system_dropped && getuid() != 0 && geteuid() != 0;
}

/* priv_lookup - uid and primary gid of a user; -1 if there is none. */
int
priv_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* priv_drop_ids - become uid with gid as the only group, or die. */
void
priv_drop_ids(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (priv_single_user())
		return;
	if (uid == 0)
		diex(EXIT_TEMP, "refusing to drop privilege to uid 0");
	if (setgroups(1, &gid) == -1)
		die(EXIT_TEMP, "unable to set groups to %lu", (unsigned long)gid);
	if (setresgid(gid, gid, gid) == -1)
		die(EXIT_TEMP, "unable to set gid %lu", (unsigned long)gid);
	if (setresuid(uid, uid, uid) == -1)
		die(EXIT_TEMP, "unable to set uid %lu", (unsigned long)uid);
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		die(EXIT_TEMP, "unable to check ids after the drop");
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		diex(EXIT_TEMP, "privilege drop to %lu:%lu did not take",
		    (unsigned long)uid, (unsigned long)gid);
}

/* priv_drop - become the named system user, or die. */
void
priv_drop(const char *user)
{
	uid_t uid;
	gid_t gid;

	if (priv_single_user())
		return;
	if (priv_lookup(user, &uid, &gid) == -1)
		diex(EXIT_TEMP, "unable to find user %s: run qpost-setup", user);
	priv_drop_ids(uid, gid);
	system_dropped = 1;
}
