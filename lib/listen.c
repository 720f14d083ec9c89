/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * listen - see listen.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "priv.h"

/*
 * listen_unix - make the socket at path and listen on it: a stale
 * socket there is removed (anything else is left alone and is fatal),
 * its folder made if missing (/run/qpost is on a tmpfs).  In system
 * mode it gets owner uid, group gid and mode; else 0600, ours.  A
 * failure is fatal: the daemon cannot serve without it.
 */
int
listen_unix(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct sockaddr_un sun;
	struct stat st;
	char dir[sizeof(sun.sun_path)], *slash;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlcpy(sun.sun_path, path,
	    sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		diex(EXIT_PERM, "the socket path must be absolute and "
		    "shorter than %zu bytes: %s", sizeof(sun.sun_path), path);
	(void)strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			die(EXIT_TEMP, "unable to make %s", dir);
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			diex(EXIT_TEMP, "%s exists and is not a socket", path);
		if (unlink(path) == -1)
			die(EXIT_TEMP, "unable to remove the old socket %s",
			    path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_TEMP, "unable to make a socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die(EXIT_TEMP, "unable to bind %s", path);
	(void)umask(old);
	if (!priv_single_user() && (chown(path, uid, gid) == -1 ||
	    chmod(path, mode) == -1))
		die(EXIT_TEMP, "unable to set the owner and mode of %s", path);
	if (listen(fd, 64) == -1)
		die(EXIT_TEMP, "unable to listen on %s", path);
	return fd;
}
