/* Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE. */

/*
 * qinject_nss - part of the qinject built with musl (Makefile,
 * QINJECT_LIBC): glibc's start-up asks the processor about its caches
 * with dozens of CPUID instructions, each a trap to the hypervisor on a
 * virtual machine, and that was most of the cost of running qinject
 * once for every message; musl asks nothing.  But musl finds accounts
 * only in /etc/passwd (and through nscd), not through the modules of
 * /etc/nsswitch.conf (LDAP, sssd, systemd's), and qinject needs the
 * caller's name: for the default sender and for control/trusted.  So
 * before it reads a byte it looks the caller up, and when musl cannot
 * find them it runs qinject-nss, the same program built with glibc,
 * with the same arguments, descriptors and environment.
 */
#include <limits.h>
#include <pwd.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "qinject_exit.h"
#include "qinject_nss.h"

void
qinject_nss_check(char *argv[])
{
	char prog[PATH_MAX];

	if (getpwuid(getuid()) != NULL)
		return;
	if (paths_program(prog, sizeof(prog), "qinject-nss") == -1)
		diex(QI_QUEUEDIR, "the path of qinject-nss is too long: "
		    "check QPOST_LIBEXEC");
	/* argv[0] stays: its log lines still say qinject */
	execv(prog, argv);
	die(QI_TEMPREFUSED, "uid %lu is not in /etc/passwd, and %s, which "
	    "asks the system's name services, could not be run: "
	    "reinstall qpost", (unsigned long)getuid(), prog);
}
