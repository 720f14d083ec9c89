# qpost - a mail transfer agent in the qmail tradition.
# Portable make: POSIX rules plus "!=", which GNU make 4 and bmake share.

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
SBINDIR ?=	$(PREFIX)/sbin
LIBEXECDIR ?=	$(PREFIX)/libexec/qpost
MANDIR ?=	$(PREFIX)/share/man
DATADIR ?=	$(PREFIX)/share/qpost
DOCDIR ?=	$(PREFIX)/share/doc/qpost
CONTROLDIR ?=	/etc/qpost
QUEUEDIR ?=	/var/spool/qpost
DESTDIR ?=

CC ?=		cc
PKGS =		libbsd-overlay libtls libcdb libidn2 libseccomp libpcre2-8
PKG_CFLAGS !=	pkg-config --cflags $(PKGS) 2>/dev/null || echo -DMISSING_PKGS
PKG_LIBS !=	pkg-config --libs $(PKGS) 2>/dev/null || echo -lbsd -ltls -lcdb -lidn2 -lseccomp -lpcre2-8
# smtpd runs once for every connection, qinject, local and remote once
# for every message: the dynamic loader's relocations and page faults
# for libtls, libssl and libcrypto were a quarter of their CPU (make
# bench, BENCHMARKS.md).  So those, and the small libraries beside
# them, are linked statically; libc and what is rarely used stay
# shared.  STATIC_LIBS= links everything dynamically.
STATIC_LIBS ?=	-ltls -lssl -lcrypto -lcdb -lbsd -lmd -lseccomp -lpcre2-8
PKG_LIBS :=	-Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic \
		$(filter-out $(STATIC_LIBS),$(PKG_LIBS))
# b64_ntop (remote) and the ns_ parser (qpverify); the linker keeps it
# only for the programs that use it
PKG_LIBS +=	-lresolv
# libopendkim (the DKIM signer alone) is a shared library that needs
# the shared libcrypto: qpdkim links libcrypto dynamically, once.
DKIM_LIBS !=	pkg-config --libs opendkim 2>/dev/null || echo -lopendkim
CRYPT_LIBS !=	pkg-config --libs libxcrypt 2>/dev/null || echo -lcrypt
ATF_CFLAGS !=	pkg-config --cflags atf-c 2>/dev/null || true
ATF_LIBS !=	pkg-config --libs atf-c 2>/dev/null || echo -latf-c

WARNINGS =	-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
		-Wpointer-arith -Wcast-qual -Wsign-compare
HARDEN_0 =	-D_FORTIFY_SOURCE=2
HARDEN_1 =
HARDEN_ =	$(HARDEN_0)
SAN_0 =
SAN_1 =		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined
SAN_ =
SANITIZE ?=	0
WERROR ?=
CFLAGS ?=	-O2 -g
# what every C file is compiled with, whichever C library (QINJECT_LIBC)
# The folders' headers for #include "...": not -I, under which
# queue/sched.h, send/spawn.h, lib/paths.h and lookup/aliases.h would
# stand in for the system's <sched.h>, <spawn.h>, <paths.h> and
# <aliases.h> wherever a system header includes one (OpenSSL's do)
QP_INCLUDES =	-iquote lib -iquote control -iquote lookup -iquote queue \
		-iquote send -iquote smtpd
QP_BASE_CFLAGS = $(CFLAGS) $(WARNINGS) $(WERROR) -fstack-protector-strong \
		-fPIE -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(QP_INCLUDES) \
		-DQPOST_CONTROLDIR='"$(CONTROLDIR)"' \
		-DQPOST_QUEUEDIR='"$(QUEUEDIR)"' \
		-DQPOST_LIBEXECDIR='"$(LIBEXECDIR)"'
QP_CFLAGS =	$(QP_BASE_CFLAGS) $(HARDEN_$(SANITIZE)) $(SAN_$(SANITIZE)) \
		$(PKG_CFLAGS)
QP_LINK_HARDEN = -pie -Wl,-z,relro,-z,now
QP_LDFLAGS =	$(LDFLAGS) $(QP_LINK_HARDEN) $(SAN_$(SANITIZE))

# qinject runs once for every message, and glibc's start-up was most of
# its cost: it asks the processor about its caches with some 77 CPUID
# instructions, and under a hypervisor each one traps (0.66 ms for a
# program that does nothing, BENCHMARKS.md's spawn line; 0.11 ms with
# musl).  So where musl-gcc is installed (Debian's musl-tools) qinject
# is built with musl (PIE), from the sources below in one compiler
# run; and the same program built with glibc is installed as
# qinject-nss, which qinject runs in its place for a caller that
# /etc/passwd does not list (qinject_nss.c).  The sanitizers need
# glibc; QINJECT_LIBC=glibc builds qinject with glibc as before (and
# qinject-nss is then the same program, which keeps the list of
# programs, and so "make install" in any tree, the same).
MUSL_CC !=	command -v musl-gcc 2>/dev/null || true
QINJECT_LIBC !=	if [ -n "$(MUSL_CC)" ] && [ "$(SANITIZE)" != 1 ]; \
		then echo musl; else echo glibc; fi
# And linked static-pie where musl's static library is there (Debian's
# musl-dev ships it): mapping musl's libc.so and relocating against it
# was a third of the exec, 0.14 -> 0.09 ms a message here, while the
# program stays position-independent (ASLR) with RELRO.  The price: a
# musl update reaches qinject when qpost is built again.  musl-gcc's
# own specs file always names the dynamic loader and its start file, so
# the link runs the compiler musl-gcc wraps with a copy of that file
# that asks for a static PIE (rcrt1.o, which relocates the program
# itself); without rcrt1.o and libc.a qinject is linked as before.
MUSL_SPECS !=	[ -z "$(MUSL_CC)" ] || \
		sed -n 's/.*-specs "\([^"]*\)".*/\1/p' "$(MUSL_CC)"
MUSL_REALCC !=	[ -z "$(MUSL_CC)" ] || \
		sed -n 's/.*REALGCC:-\([^}]*\)}.*/\1/p' "$(MUSL_CC)"
MUSL_SPIE !=	d=$$(dirname "$(MUSL_SPECS)"); [ -n "$(MUSL_SPECS)" ] && \
		[ -n "$(MUSL_REALCC)" ] && [ -f "$$d/rcrt1.o" ] && \
		[ -f "$$d/libc.a" ] && echo yes || echo no

# The shared archive: one line per source file.
LIBSRCS =	lib/addr.c
LIBSRCS +=	lib/atomic.c
LIBSRCS +=	lib/fnv.c
LIBSRCS +=	lib/clock.c
LIBSRCS +=	lib/listen.c
LIBSRCS +=	lib/spawn.c
LIBSRCS +=	lib/fdpass.c
LIBSRCS +=	lib/buf.c
LIBSRCS +=	lib/log.c
LIBSRCS +=	lib/paths.c
LIBSRCS +=	lib/priv.c
LIBSRCS +=	lib/batch.c
LIBSRCS +=	lib/sandbox.c
LIBSRCS +=	lib/rec.c
LIBSRCS +=	lib/sa.c
LIBSRCS +=	lib/tlsio.c
LIBSRCS +=	control/ctl.c
LIBSRCS +=	lookup/users.c
LIBSRCS +=	lookup/aliases.c
LIBSRCS +=	lookup/local.c
LIBSRCS +=	lookup/policy_cdb.c
LIBSRCS +=	lookup/rcpthosts.c
LIBSRCS +=	lookup/relay.c
LIBSRCS +=	lookup/clientaccess.c
LIBSRCS +=	lookup/senders.c
LIBSRCS +=	lookup/relayrcpt.c
LIBSRCS +=	lookup/badaddr.c
LIBSRCS +=	lookup/aliases_parse.c
LIBSRCS +=	lookup/vdomains.c
LIBSRCS +=	send/lresolve.c
LIBSRCS +=	queue/queue_drop.c
LIBSRCS +=	queue/queue_spare.c
LIBSRCS +=	queue/queue_env.c
LIBSRCS +=	queue/queue_id.c
LIBSRCS +=	queue/queue_trust.c
LIBSRCS +=	queue/queue_space.c
LIBSRCS +=	queue/header.c
LIBSRCS +=	send/spawn_rec.c
LIBSRCS +=	send/spawn_msg.c
LIBSRCS +=	lib/dns.c
LIBSRCS +=	lib/dns_parse.c
LIBSRCS +=	smtpd/smtpd_cmd.c
LIBSRCS +=	smtpd/smtpd_data.c
LIBSRCS +=	smtpd/smtpd_auth.c
LIBSRCS +=	smtpd/smtpd_runner.c
LIBSRCS +=	smtpd/smtpd_perclient.c
LIBSRCS +=	smtpd/smtpd_rate.c
LIBSRCS +=	queue/qinject_filter.c
LIBSRCS +=	send/smtp_reply.c
LIBSRCS +=	queue/queue_ctl.c
LIBSRCS +=	queue/queue_dsn.c
LIBSRCS +=	send/local_parse.c
LIBSRCS +=	send/local_loop.c
LIBSRCS +=	send/smtp_dot.c
LIBSRCS +=	send/sock_connect.c
LIBSRCS +=	send/lmtp_client.c
LIBSRCS +=	send/mbox_quote.c
LIBSRCS +=	send/mime.c
LIBSRCS +=	send/mime7.c
LIBSRCS +=	send/worker_req.c
LIBSRCS +=	queue/addrlist.c
LIBSRCS +=	queue/sendmail_body.c
LIBSRCS +=	smtpd/proxy.c
LIBSRCS +=	smtpd/proxy_from.c
LIBSRCS +=	smtpd/proxy_read.c
LIBSRCS +=	control/check_log.c
LIBSRCS +=	control/ctl_knob.c
LIBSRCS +=	queue/dkim_req.c
LIBSRCS +=	queue/verify_ar.c
LIBSRCS +=	queue/verify_ptr.c
LIBSRCS +=	queue/verify_header.c
LIBSRCS +=	smtpd/dnsbl.c
LIBSRCS +=	smtpd/policy.c
LIBSRCS +=	smtpd/checks.c
LIBSRCS +=	smtpd/content.c
LIBSRCS +=	queue/milter.c queue/milter_msg.c
LIBSRCS +=	send/sts_parse.c send/sts_sweep.c
LIBSRCS +=	lib/srs.c
LIBSRCS +=	smtpd/smtpd_srs.c
LIBSRCS +=	lib/dsnparam.c
LIBOBJS =	$(LIBSRCS:.c=.o)
LIBA =		lib/libqpost.a

HDRS =		lib/addr.h lib/atomic.h lib/fnv.h lib/buf.h lib/clock.h lib/listen.h \
		lib/log.h lib/paths.h lib/priv.h lib/rec.h lib/sa.h \
		control/ctl.h lookup/users.h lookup/aliases.h \
		queue/queue_drop.h queue/queue_env.h \
		queue/queue_id.h queue/qinject_exit.h send/spawn_rec.h \
		queue/queue_trust.h queue/header.h queue/queue_space.h \
		queue/queue_spare.h \
		smtpd/smtpd_cmd.h smtpd/smtpd_data.h
HDRS +=		lookup/local.h
HDRS +=		lib/tlsio.h
HDRS +=		lib/sandbox.h
HDRS +=		lib/batch.h
HDRS +=		lib/spawn.h
HDRS +=		lib/fdpass.h
HDRS +=		send/spawn_msg.h
HDRS +=		lookup/policy_cdb.h
HDRS +=		lookup/rcpthosts.h
HDRS +=		lookup/relay.h
HDRS +=		lookup/clientaccess.h
HDRS +=		lookup/senders.h
HDRS +=		lookup/relayrcpt.h lookup/badaddr.h
HDRS +=		lib/srs.h smtpd/smtpd_srs.h
HDRS +=		lib/dsnparam.h
HDRS +=		smtpd/policy.h smtpd/checks.h smtpd/content.h
HDRS +=		lookup/vdomains.h
HDRS +=		send/lresolve.h
HDRS +=		smtpd/smtpd_auth.h
HDRS +=		smtpd/smtpd_runner.h
HDRS +=		smtpd/smtpd_perclient.h
HDRS +=		smtpd/smtpd_rate.h
HDRS +=		queue/qinject_filter.h
HDRS +=		send/smtp_reply.h
HDRS +=		lib/dns.h
HDRS +=		queue/queue_ctl.h
HDRS +=		queue/queue_dsn.h
HDRS +=		send/local_parse.h
HDRS +=		send/smtp_dot.h
HDRS +=		send/sock_connect.h
HDRS +=		send/lmtp_client.h
HDRS +=		send/mbox_quote.h
HDRS +=		send/mime.h
HDRS +=		send/mime7.h
HDRS +=		queue/addrlist.h
HDRS +=		queue/sendmail.h
HDRS +=		smtpd/proxy.h
HDRS +=		control/check_log.h
HDRS +=		control/ctl_knob.h
HDRS +=		queue/dkim_req.h
HDRS +=		queue/verify_ar.h
HDRS +=		queue/verify_dns.h
HDRS +=		queue/verify.h
HDRS +=		smtpd/dnsbl.h
HDRS +=		send/local_worker.h

# Programs: commands users run, and internal ones under libexec.
PROGS =		queue/qinject
PROGS +=	queue/sched
PROGS +=	send/lspawn
PROGS +=	send/local
PROGS +=	send/rspawn
PROGS +=	send/remote
PROGS +=	control/qcdb
PROGS +=	control/qpost-start
PROGS +=	smtpd/smtpd
PROGS +=	smtpd/qpauth
PROGS +=	control/qpasswd
PROGS +=	queue/qstat
PROGS +=	queue/qctl
PROGS +=	queue/sendmail
PROGS +=	control/qpost-check
PROGS +=	queue/qpdkim
PROGS +=	queue/qpverify
PROGS +=	queue/qinject-nss
PROGS +=	queue/qpmilter

BIN_PROGS =	qinject
SBIN_PROGS =	qcdb
SBIN_PROGS +=	qpasswd
SBIN_PROGS +=	qstat
SBIN_PROGS +=	qctl
SBIN_PROGS +=	qpost-check
SBIN_PROGS +=	qpdkim

# Unit tests (atf-c) and scenario tests (atf-sh, from *_test.sh).
UNIT_TESTS =	tests/unit/addr_test
UNIT_TESTS +=	tests/unit/rec_test
UNIT_TESTS +=	tests/unit/ctl_test
UNIT_TESTS +=	tests/unit/buf_test
UNIT_TESTS +=	tests/unit/queue_test
UNIT_TESTS +=	tests/unit/policy_test
UNIT_TESTS +=	tests/unit/smtpd_cmd_test
UNIT_TESTS +=	tests/unit/smtpd_data_test
UNIT_TESTS +=	tests/unit/smtpd_auth_test
UNIT_TESTS +=	tests/unit/runner_test
UNIT_TESTS +=	tests/unit/perclient_test
UNIT_TESTS +=	tests/unit/senders_test
UNIT_TESTS +=	tests/unit/smtp_reply_test
UNIT_TESTS +=	tests/unit/dns_test
UNIT_TESTS +=	tests/unit/sched_heap_test
UNIT_TESTS +=	tests/unit/queue_ctl_test
UNIT_TESTS +=	tests/unit/dsn_test
UNIT_TESTS +=	tests/unit/dsnparam_test
UNIT_TESTS +=	tests/unit/aliases_test
UNIT_TESTS +=	tests/unit/local_parse_test
UNIT_TESTS +=	tests/unit/lmtp_client_test
UNIT_TESTS +=	tests/unit/smtp_dot_test
UNIT_TESTS +=	tests/unit/mbox_quote_test
UNIT_TESTS +=	tests/unit/mime7_test
UNIT_TESTS +=	tests/unit/policy_proto_test
UNIT_TESTS +=	tests/unit/sts_test
UNIT_TESTS +=	tests/unit/srs_test
UNIT_TESTS +=	tests/unit/addrlist_test
UNIT_TESTS +=	tests/unit/proxy_test
UNIT_TESTS +=	tests/unit/check_log_test
UNIT_TESTS +=	tests/unit/dkim_req_test
UNIT_TESTS +=	tests/unit/verify_test
UNIT_TESTS +=	tests/unit/dnsbl_test
UNIT_TESTS +=	tests/unit/sandbox_test
UNIT_TESTS +=	tests/unit/checks_test
SH_TESTS =	tests/queue/inject_test
SH_TESTS +=	tests/queue/durability_test
SH_TESTS +=	tests/queue/express_test
SH_TESTS +=	tests/queue/hostile_drop_test
SH_TESTS +=	tests/queue/nss_test
SH_TESTS +=	tests/queue/spare_test
SH_TESTS +=	tests/smtpd/milter_test
SH_TESTS +=	tests/queue/delivery_test
SH_TESTS +=	tests/queue/fair_test
SH_TESTS +=	tests/queue/srs_test
SH_TESTS +=	tests/queue/qstat_test
SH_TESTS +=	tests/queue/qctl_test
SH_TESTS +=	tests/queue/dsn_test
SH_TESTS +=	tests/queue/inject_dsn_test
SH_TESTS +=	tests/queue/dsnreq_test
SH_TESTS +=	tests/queue/faults_test
SH_TESTS +=	tests/queue/crashpoints_test
SH_TESTS +=	tests/control/qcdb_test
SH_TESTS +=	tests/control/logsum_test
SH_TESTS +=	tests/control/check_test
SH_TESTS +=	tests/privsep/privsep_test
SH_TESTS +=	tests/demo/demo_test
SH_TESTS +=	tests/man/man_test
SH_TESTS +=	tests/install/install_test
SH_TESTS +=	tests/smtpd/harness_test
SH_TESTS +=	tests/smtpd/protocol_test
SH_TESTS +=	tests/smtpd/data_test
SH_TESTS +=	tests/smtpd/policy_test
SH_TESTS +=	tests/smtpd/policyd_test
SH_TESTS +=	tests/smtpd/checks_test
SH_TESTS +=	tests/smtpd/sender_test
SH_TESTS +=	tests/smtpd/client_test
SH_TESTS +=	tests/smtpd/access_test
SH_TESTS +=	tests/smtpd/limits_test
SH_TESTS +=	tests/smtpd/bounds_test
SH_TESTS +=	tests/smtpd/clients_test
SH_TESTS +=	tests/smtpd/concurrency_test
SH_TESTS +=	tests/smtpd/postfix_test
SH_TESTS +=	tests/local/mbox_test
SH_TESTS +=	tests/smtpd/inetd_test
SH_TESTS +=	tests/smtpd/auth_test
SH_TESTS +=	tests/smtpd/tls_test
SH_TESTS +=	tests/smtpd/proxy_test
SH_TESTS +=	tests/smtpd/fulldisk_test
SH_TESTS +=	tests/smtpd/dnsbl_test
SH_TESTS +=	tests/smtpd/greetdelay_test
SH_TESTS +=	tests/smtpd/filter_test
SH_TESTS +=	tests/smtpd/dsn_test
SH_TESTS +=	tests/smtpd/listen_test
SH_TESTS +=	tests/smtpd/listen_root_test
SH_TESTS +=	tests/fuzz/replay_test
SH_TESTS +=	tests/auth/qpauth_test
SH_TESTS +=	tests/remote/peer_test
SH_TESTS +=	tests/remote/client_test
SH_TESTS +=	tests/remote/bounds_test
SH_TESTS +=	tests/remote/spawn_test
SH_TESTS +=	tests/remote/mx_test
SH_TESTS +=	tests/remote/dane_test
SH_TESTS +=	tests/remote/sts_test
SH_TESTS +=	tests/remote/dsn_test
SH_TESTS +=	tests/remote/pf_receiver_test
SH_TESTS +=	tests/remote/postfix_test
SH_TESTS +=	tests/dns/dns_test
SH_TESTS +=	tests/local/aliases_test
SH_TESTS +=	tests/local/virtual_test
SH_TESTS +=	tests/local/program_test
SH_TESTS +=	tests/local/worker_test
SH_TESTS +=	tests/local/dot_test
SH_TESTS +=	tests/local/forward_test
SH_TESTS +=	tests/local/lmtp_test
SH_TESTS +=	tests/local/sendmail_test
SH_TESTS +=	tests/soak/soak_test
SH_TESTS +=	tests/dkim/dkim_test
SH_TESTS +=	tests/dkim/dkim_root_test
SH_TESTS +=	tests/verify/verify_test

# Helper programs of the scenario tests (built, never installed).
TEST_PROGS =	tests/dns/dnsq
TEST_PROGS +=	tests/local/lmtpq

# The side-by-side benchmark's programs (make bench; issue 10): built
# by make all so a warning shows in CI, run only by make bench.
BENCH_PROGS =	build/bench/benchmon
BENCH_PROGS +=	build/bench/diskbench
BENCH_PROGS +=	build/bench/spawnbench
# plain libc programs: no libbsd overlay (its getopt), no sanitizer
BENCH_CFLAGS =	$(CFLAGS) $(WARNINGS) $(WERROR) -std=c11 -D_GNU_SOURCE

# Fuzz targets (libFuzzer): each tests/fuzz/<target>.c; `make all` builds
# a replay driver of each with the normal compiler for the corpus test.
FUZZ_TARGETS =	fuzz_smtp_cmd
FUZZ_TARGETS +=	fuzz_smtp_data
FUZZ_TARGETS +=	fuzz_dns
FUZZ_REPLAY =	tests/fuzz/fuzz_smtp_cmd_replay tests/fuzz/fuzz_smtp_data_replay
FUZZ_TARGETS +=	fuzz_smtp_reply
FUZZ_REPLAY +=	tests/fuzz/fuzz_smtp_reply_replay
FUZZ_REPLAY +=	tests/fuzz/fuzz_dns_replay
FUZZ_TARGETS +=	fuzz_qstat
FUZZ_REPLAY +=	tests/fuzz/fuzz_qstat_replay
FUZZ_TARGETS +=	fuzz_dsn
FUZZ_REPLAY +=	tests/fuzz/fuzz_dsn_replay
FUZZ_TARGETS +=	fuzz_aliases
FUZZ_REPLAY +=	tests/fuzz/fuzz_aliases_replay
FUZZ_TARGETS +=	fuzz_dotfile
FUZZ_REPLAY +=	tests/fuzz/fuzz_dotfile_replay
FUZZ_TARGETS +=	fuzz_lmtp
FUZZ_REPLAY +=	tests/fuzz/fuzz_lmtp_replay
FUZZ_TARGETS +=	fuzz_mbox_quote
FUZZ_REPLAY +=	tests/fuzz/fuzz_mbox_quote_replay
FUZZ_TARGETS +=	fuzz_addrlist
FUZZ_REPLAY +=	tests/fuzz/fuzz_addrlist_replay
FUZZ_TARGETS +=	fuzz_proxy
FUZZ_REPLAY +=	tests/fuzz/fuzz_proxy_replay
FUZZ_TARGETS +=	fuzz_addr
FUZZ_REPLAY +=	tests/fuzz/fuzz_addr_replay
FUZZ_TARGETS +=	fuzz_rec
FUZZ_REPLAY +=	tests/fuzz/fuzz_rec_replay
FUZZ_TARGETS +=	fuzz_drop
FUZZ_REPLAY +=	tests/fuzz/fuzz_drop_replay
FUZZ_TARGETS +=	fuzz_env
FUZZ_REPLAY +=	tests/fuzz/fuzz_env_replay
FUZZ_TARGETS +=	fuzz_header
FUZZ_REPLAY +=	tests/fuzz/fuzz_header_replay
FUZZ_TARGETS +=	fuzz_control
FUZZ_REPLAY +=	tests/fuzz/fuzz_control_replay
FUZZ_TARGETS +=	fuzz_auth
FUZZ_REPLAY +=	tests/fuzz/fuzz_auth_replay
FUZZ_TARGETS +=	fuzz_cdb
FUZZ_REPLAY +=	tests/fuzz/fuzz_cdb_replay
FUZZ_TARGETS +=	fuzz_smtp_session
FUZZ_REPLAY +=	tests/fuzz/fuzz_smtp_session_replay
FUZZ_TARGETS +=	fuzz_dkim
FUZZ_REPLAY +=	tests/fuzz/fuzz_dkim_replay
FUZZ_TARGETS +=	fuzz_verify
FUZZ_REPLAY +=	tests/fuzz/fuzz_verify_replay
FUZZ_TARGETS +=	fuzz_dnsbl
FUZZ_REPLAY +=	tests/fuzz/fuzz_dnsbl_replay
FUZZ_TARGETS +=	fuzz_runner
FUZZ_REPLAY +=	tests/fuzz/fuzz_runner_replay
FUZZ_TARGETS +=	fuzz_worker
FUZZ_REPLAY +=	tests/fuzz/fuzz_worker_replay
FUZZ_TARGETS +=	fuzz_milter
FUZZ_REPLAY +=	tests/fuzz/fuzz_milter_replay
FUZZ_TARGETS +=	fuzz_sts
FUZZ_REPLAY +=	tests/fuzz/fuzz_sts_replay
FUZZ_TARGETS +=	fuzz_srs
FUZZ_REPLAY +=	tests/fuzz/fuzz_srs_replay
FUZZ_TARGETS +=	fuzz_dsnparam
FUZZ_REPLAY +=	tests/fuzz/fuzz_dsnparam_replay
FUZZ_TARGETS +=	fuzz_mime7
FUZZ_REPLAY +=	tests/fuzz/fuzz_mime7_replay
FUZZ_TARGETS +=	fuzz_policy
FUZZ_REPLAY +=	tests/fuzz/fuzz_policy_replay
FUZZ_TARGETS +=	fuzz_content
FUZZ_REPLAY +=	tests/fuzz/fuzz_content_replay

MANS1 =		man/qinject.1
MANS5 =		man/qpost-control.5 man/qpost-queue.5
MANS5 +=	man/dot-qpost.5
MANS5 +=	man/qpost-aliases.5
MANS8 =		man/qcdb.8 man/qpost-smtpd.8 man/qpost-start.8 man/qpost-sched.8 man/qpost-setup.8 \
		man/qpost-lspawn.8 man/qpost-local.8 man/qpost-rspawn.8
MANS8 +=	man/qpost-qpauth.8 man/qpasswd.8
MANS8 +=	man/qpost-qpdkim.8
MANS8 +=	man/qpost-remote.8
MANS8 +=	man/qstat.8 man/qctl.8
MANS8 +=	man/sendmail.8
MANS8 +=	man/qpost-logsum.8
MANS8 +=	man/qpost-check.8
MANS8 +=	man/qpost-qpverify.8
MANS8 +=	man/qpost-qpmilter.8
MANS7 =		man/qpost.7 man/qpost-log.7
MANS7 +=	man/qpost-services.7
MANS =		$(MANS1) $(MANS5) $(MANS7) $(MANS8)

# Service directory templates that qpost-setup -s fills in (DATADIR),
# and the systemd units installed as examples only (DOCDIR).
SVC_TEMPLATES =	control/services/run.qpost control/services/run.qpauth \
		control/services/run.qpdkim \
		control/services/run.tcp control/services/log.run
SYSTEMD_UNITS =	qpost.service qpost-auth.service
SYSTEMD_UNITS += qpost-dkim.service
SYSTEMD_UNITS += qpost-smtpd.socket qpost-smtpd@.service
SYSTEMD_UNITS += qpost-submission.socket qpost-submission@.service
SYSTEMD_UNITS += qpost-smtps.socket qpost-smtps@.service

.SUFFIXES: .c .o .sh
# -MMD -MP: each object's .d lists every header it included, so a
# changed header rebuilds what uses it, whether HDRS names it or not
.c.o:
	$(CC) $(QP_CFLAGS) -MMD -MP -c -o $@ $<

all: progs $(UNIT_TESTS) $(SH_TESTS) $(FUZZ_REPLAY) $(TEST_PROGS) \
    $(BENCH_PROGS)

progs: $(PROGS) build/libexec

$(LIBOBJS) $(PROGS:=.o): $(HDRS) Makefile

$(LIBA): $(LIBOBJS)
	rm -f $@
	ar rcs $@ $(LIBOBJS)

QINJECT_OBJS =	queue/qinject.o queue/qinject_dkim.o queue/qinject_verify.o
QINJECT_LINK_glibc = $(CC) $(QP_LDFLAGS) $(QINJECT_OBJS) $(LIBA) $(PKG_LIBS) -o
$(QINJECT_OBJS): $(HDRS) queue/qinject_dkim.h queue/qinject_verify.h
QINJECT_MUSL_SRCS = queue/qinject.c queue/qinject_dkim.c \
		queue/qinject_verify.c queue/qinject_nss.c lib/musl_compat.c \
		lib/addr.c lib/atomic.c lib/buf.c lib/log.c lib/paths.c \
		lib/priv.c lib/rec.c lib/sa.c control/ctl.c control/ctl_knob.c \
		lookup/vdomains.c queue/dkim_req.c queue/header.c \
		queue/qinject_filter.c queue/queue_drop.c queue/queue_id.c \
		queue/queue_space.c queue/queue_spare.c queue/queue_trust.c \
		lib/dsnparam.c
# no _FORTIFY_SOURCE: musl's headers do not implement it
MUSL_DRIVER_no = $(MUSL_CC)
MUSL_DRIVER_yes = $(MUSL_REALCC) -specs queue/musl-static-pie.specs
QINJECT_LINK_musl = $(MUSL_DRIVER_$(MUSL_SPIE)) $(QP_BASE_CFLAGS) \
		$(QP_LINK_HARDEN) -include lib/musl_compat.h \
		-DQINJECT_NSS_FALLBACK $(QINJECT_MUSL_SRCS) -o
QINJECT_NEEDS_glibc = $(QINJECT_OBJS) $(LIBA)
MUSL_SPECS_NEEDS_no =
MUSL_SPECS_NEEDS_yes = queue/musl-static-pie.specs
QINJECT_NEEDS_musl = $(QINJECT_MUSL_SRCS) $(HDRS) lib/musl_compat.h \
		queue/qinject_nss.h queue/qinject_dkim.h queue/qinject_verify.h \
		$(MUSL_SPECS_NEEDS_$(MUSL_SPIE))
queue/musl-static-pie.specs: $(MUSL_SPECS) Makefile
	sed -e 's#/Scrt1\.o#/rcrt1.o#' \
	    -e 's#-dynamic-linker [^ ]*#-static -pie --no-dynamic-linker -z text#' \
	    $(MUSL_SPECS) > $@.tmp && mv $@.tmp $@
queue/qinject: $(QINJECT_NEEDS_$(QINJECT_LIBC)) Makefile
	$(QINJECT_LINK_$(QINJECT_LIBC)) $@
queue/qinject-nss: $(QINJECT_OBJS) $(LIBA)
	$(QINJECT_LINK_glibc) $@
# qpverify: SPF (libspf2), DKIM (libopendkim), DMARC (libopendmarc);
# none ships a static archive worth pinning, so they stay shared
QPVERIFY_OBJS =	queue/qpverify.o queue/verify_spf.o queue/verify_dkim.o \
		queue/verify_dmarc.o queue/verify_dns.o
VERIFY_LIBS !=	pkg-config --libs opendkim 2>/dev/null || echo -lopendkim
VERIFY_LIBS +=	-lspf2 -lopendmarc
queue/qpverify: $(QPVERIFY_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(QPVERIFY_OBJS) $(LIBA) $(VERIFY_LIBS) \
	    $(PKG_LIBS)
$(QPVERIFY_OBJS): $(HDRS) queue/verify.h
SCHED_OBJS =	queue/sched.o queue/sched_pickup.o queue/sched_recover.o \
		queue/sched_bounce.o
SCHED_OBJS +=	queue/sched_heap.o
SCHED_OBJS +=	queue/sched_fair.o
SCHED_OBJS +=	queue/sched_dom.o
SCHED_OBJS +=	queue/sched_ctl.o
SCHED_OBJS +=	queue/sched_expire.o
SCHED_OBJS +=	queue/sched_forward.o
SCHED_OBJS +=	queue/sched_srs.o
SCHED_OBJS +=	queue/sched_commit.o
SCHED_OBJS +=	queue/sched_express.o
SCHED_OBJS +=	queue/sched_pool.o
SCHED_OBJS +=	queue/sched_spare.o
queue/sched: $(SCHED_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(SCHED_OBJS) $(LIBA) $(PKG_LIBS)
LSPAWN_OBJS =	send/lspawn.o send/lspawn_worker.o
send/lspawn: $(LSPAWN_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(LSPAWN_OBJS) $(LIBA) $(PKG_LIBS)
LOCAL_OBJS =	send/local.o send/local_maildir.o
LOCAL_OBJS +=	send/local_mbox.o
LOCAL_OBJS +=	send/local_program.o
LOCAL_OBJS +=	send/local_forward.o
LOCAL_OBJS +=	send/local_lmtp.o
LOCAL_OBJS +=	send/local_dot.o
LOCAL_OBJS +=	send/local_worker.o
# liblockfile: the mbox dotlock (local_mbox.c), as Debian policy 11.6 asks
LOCAL_LIBS =	-llockfile
send/local: $(LOCAL_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(LOCAL_OBJS) $(LIBA) $(PKG_LIBS) $(LOCAL_LIBS)
$(LOCAL_OBJS): $(HDRS) send/local.h send/local_worker.h
send/rspawn: send/rspawn.o $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ send/rspawn.o $(LIBA) $(PKG_LIBS)
REMOTE_OBJS =	send/remote.o send/remote_cfg.o send/remote_route.o \
		send/remote_routes.o \
		send/remote_conn.o send/remote_smtp.o send/remote_tls.o \
		send/remote_dane.o send/remote_sts.o
send/remote: $(REMOTE_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(REMOTE_OBJS) $(LIBA) $(PKG_LIBS)
$(REMOTE_OBJS): $(HDRS) send/remote.h
control/qcdb: control/qcdb.o $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ control/qcdb.o $(LIBA) $(PKG_LIBS)
SMTPD_OBJS =	smtpd/smtpd.o smtpd/smtpd_session.o smtpd/smtpd_queue.o \
		smtpd/smtpd_tls.o
SMTPD_OBJS +=	smtpd/smtpd_proxy.o
SMTPD_OBJS +=	smtpd/smtpd_verify.o
SMTPD_OBJS +=	smtpd/smtpd_dnsbl.o smtpd/smtpd_policy.o
SMTPD_OBJS +=	smtpd/smtpd_checks.o smtpd/smtpd_sender.o
SMTPD_OBJS +=	smtpd/smtpd_client.o
SMTPD_OBJS +=	smtpd/smtpd_access.o
SMTPD_OBJS +=	smtpd/smtpd_listen.o smtpd/smtpd_keep.o
smtpd/smtpd: $(SMTPD_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(SMTPD_OBJS) $(LIBA) $(PKG_LIBS)
$(SMTPD_OBJS): $(HDRS) smtpd/smtpd.h smtpd/smtpd_queue.h smtpd/smtpd_tls.h
smtpd/smtpd.o smtpd/smtpd_listen.o: smtpd/smtpd_listen.h
smtpd/smtpd_listen.o smtpd/smtpd_keep.o: smtpd/smtpd_keep.h
smtpd/qpauth: smtpd/qpauth.o $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ smtpd/qpauth.o $(LIBA) $(PKG_LIBS) $(CRYPT_LIBS)
QPDKIM_OBJS =	queue/qpdkim.o queue/qpdkim_sign.o queue/qpdkim_key.o
queue/qpdkim: $(QPDKIM_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(QPDKIM_OBJS) $(LIBA) $(DKIM_LIBS) \
	    $(filter-out -ltls -lssl -lcrypto,$(PKG_LIBS)) -lcrypto
$(QPDKIM_OBJS): $(HDRS) queue/qpdkim.h
control/qpasswd: control/qpasswd.o $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ control/qpasswd.o $(LIBA) $(PKG_LIBS) $(CRYPT_LIBS)
QSTAT_OBJS =	queue/qstat.o queue/qstat_print.o queue/qadmin.o
queue/qstat: $(QSTAT_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(QSTAT_OBJS) $(LIBA) $(PKG_LIBS)
QCTL_OBJS =	queue/qctl.o queue/qadmin.o
queue/qctl: $(QCTL_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(QCTL_OBJS) $(LIBA) $(PKG_LIBS)
queue/qpmilter: queue/qpmilter.o $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ queue/qpmilter.o $(LIBA) $(PKG_LIBS)
queue/qpmilter.o: $(HDRS) queue/milter.h
$(QSTAT_OBJS) $(QCTL_OBJS): $(HDRS) queue/qstat.h queue/qadmin.h
SENDMAIL_OBJS =	queue/sendmail.o queue/sendmail_inject.o smtpd/smtpd_queue.o
queue/sendmail: $(SENDMAIL_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(SENDMAIL_OBJS) $(LIBA) $(PKG_LIBS)
queue/sendmail_inject.o: $(HDRS) smtpd/smtpd_queue.h
# qpost-check reads remote's files through remote's own loaders
CHECK_OBJS =	control/qpost-check.o send/remote_cfg.o send/remote_routes.o \
		control/check_content.o
$(CHECK_OBJS): $(HDRS) send/remote.h control/check_content.h
control/qpost-check: $(CHECK_OBJS) $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ $(CHECK_OBJS) $(LIBA) $(PKG_LIBS)
control/qpost-start: control/qpost-start.o $(LIBA)
	$(CC) $(QP_LDFLAGS) -o $@ control/qpost-start.o $(LIBA) $(PKG_LIBS)
$(SCHED_OBJS): $(HDRS) queue/sched.h queue/sched_heap.h queue/sched_fair.h

# build/libexec: every program in one folder, as an install lays them
# out, for tests (QPOST_LIBEXEC) and the demo to run from.
build/libexec: $(PROGS)
	mkdir -p build/libexec
	for p in $(PROGS); do ln -f $$p build/libexec/; done
	touch build/libexec

.c:
	$(CC) $(QP_CFLAGS) $(ATF_CFLAGS) $(QP_LDFLAGS) -o $@ $< $(LIBA) $(PKG_LIBS) $(ATF_LIBS)
$(UNIT_TESTS): $(LIBA) $(HDRS) tests/unit/control_fixture.h

tests/fuzz/fuzz_smtp_cmd_replay: tests/fuzz/fuzz_smtp_cmd.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_smtp_cmd.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_smtp_data_replay: tests/fuzz/fuzz_smtp_data.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_smtp_data.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_smtp_reply_replay: tests/fuzz/fuzz_smtp_reply.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_smtp_reply.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_dsn_replay: tests/fuzz/fuzz_dsn.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_dsn.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_mbox_quote_replay: tests/fuzz/fuzz_mbox_quote.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_mbox_quote.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_dns_replay: tests/fuzz/fuzz_dns.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_dns.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_dotfile_replay: tests/fuzz/fuzz_dotfile.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_dotfile.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_aliases_replay: tests/fuzz/fuzz_aliases.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_aliases.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_lmtp_replay: tests/fuzz/fuzz_lmtp.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_lmtp.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_milter_replay: tests/fuzz/fuzz_milter.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS) queue/milter.h
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_milter.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_sts_replay: tests/fuzz/fuzz_sts.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS) send/sts.h
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_sts.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_srs_replay: tests/fuzz/fuzz_srs.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_srs.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_dsnparam_replay: tests/fuzz/fuzz_dsnparam.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_dsnparam.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_policy_replay: tests/fuzz/fuzz_policy.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_policy.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_mime7_replay: tests/fuzz/fuzz_mime7.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_mime7.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_content_replay: tests/fuzz/fuzz_content.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_content.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

# sched's timer heap is sched's own, not the archive's: linked in here
tests/unit/sched_heap_test: tests/unit/sched_heap_test.c queue/sched_heap.o \
    queue/sched_heap.h
	$(CC) $(QP_CFLAGS) $(ATF_CFLAGS) $(QP_LDFLAGS) -o $@ \
	    tests/unit/sched_heap_test.c queue/sched_heap.o $(LIBA) \
	    $(PKG_LIBS) $(ATF_LIBS)
tests/fuzz/fuzz_qstat_replay: tests/fuzz/fuzz_qstat.c tests/fuzz/replay.c \
    queue/qstat_print.o $(LIBA) $(HDRS) queue/qstat.h
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_qstat.c \
	    tests/fuzz/replay.c queue/qstat_print.o $(LIBA) $(PKG_LIBS)

tests/local/lmtpq: tests/local/lmtpq.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/local/lmtpq.c $(LIBA) \
	    $(PKG_LIBS)

tests/fuzz/fuzz_addrlist_replay: tests/fuzz/fuzz_addrlist.c \
    tests/fuzz/replay.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_addrlist.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_proxy_replay: tests/fuzz/fuzz_proxy.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_proxy.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_runner_replay: tests/fuzz/fuzz_runner.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_runner.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)
tests/fuzz/fuzz_worker_replay: tests/fuzz/fuzz_worker.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_worker.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

build/bench/benchmon: tests/bench/benchmon.c
	mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ tests/bench/benchmon.c

build/bench/diskbench: tests/bench/diskbench.c
	mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ tests/bench/diskbench.c

build/bench/spawnbench: tests/bench/spawnbench.c
	mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ tests/bench/spawnbench.c

tests/fuzz/fuzz_addr_replay: tests/fuzz/fuzz_addr.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_addr.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_rec_replay: tests/fuzz/fuzz_rec.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_rec.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_drop_replay: tests/fuzz/fuzz_drop.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_drop.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_env_replay: tests/fuzz/fuzz_env.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_env.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_dkim_replay: tests/fuzz/fuzz_dkim.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_dkim.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_header_replay: tests/fuzz/fuzz_header.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_header.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

# smtproutes is read by remote's own objects, not the archive's
tests/fuzz/fuzz_control_replay: tests/fuzz/fuzz_control.c tests/fuzz/replay.c \
    send/remote_routes.o send/remote_cfg.o $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_control.c \
	    tests/fuzz/replay.c send/remote_routes.o send/remote_cfg.o \
	    $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_auth_replay: tests/fuzz/fuzz_auth.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_auth.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

# the session fuzzer compiles smtpd_session.c into itself (see its head)
tests/fuzz/fuzz_smtp_session_replay: tests/fuzz/fuzz_smtp_session.c \
    smtpd/smtpd_session.c smtpd/smtpd_verify.c smtpd/smtpd_checks.c \
    smtpd/smtpd_sender.c smtpd/smtpd_client.c smtpd/smtpd_access.c \
    tests/fuzz/replay.c \
    $(LIBA) \
    $(HDRS) smtpd/smtpd.h \
    smtpd/smtpd_queue.h smtpd/smtpd_tls.h
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_smtp_session.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_cdb_replay: tests/fuzz/fuzz_cdb.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_cdb.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_verify_replay: tests/fuzz/fuzz_verify.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_verify.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/fuzz/fuzz_dnsbl_replay: tests/fuzz/fuzz_dnsbl.c tests/fuzz/replay.c \
    $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/fuzz/fuzz_dnsbl.c \
	    tests/fuzz/replay.c $(LIBA) $(PKG_LIBS)

tests/dns/dnsq: tests/dns/dnsq.c $(LIBA) $(HDRS)
	$(CC) $(QP_CFLAGS) $(QP_LDFLAGS) -o $@ tests/dns/dnsq.c $(LIBA) \
	    $(PKG_LIBS)

# make fuzz: build each target with clang and libFuzzer in build/fuzz/
# (its own objects, so the normal build is untouched) and run it for
# FUZZ_SECONDS on its corpus; new corpus entries stay in the corpus
# folder, crashes go to tests/fuzz/crashes/<target>/.  A subset:
# `make fuzz FUZZ_TARGETS="fuzz_dns fuzz_addr"`.  `make fuzz-build` only
# builds (tests/fuzz/campaign.sh uses it for its long runs); FUZZ_DIR
# moves the build out of build/fuzz.
FUZZ_SECONDS ?=	60
FUZZ_CC ?=	clang
FUZZ_DIR ?=	build/fuzz
FUZZ_SRCS =	lib/addr.c lib/sa.c smtpd/smtpd_cmd.c smtpd/smtpd_data.c
FUZZ_SRCS +=	lib/buf.c send/smtp_reply.c
FUZZ_SRCS +=	lib/dns_parse.c
FUZZ_SRCS +=	send/local_parse.c
FUZZ_SRCS +=	send/smtp_dot.c send/sock_connect.c send/lmtp_client.c
FUZZ_SRCS +=	lib/rec.c queue/queue_env.c queue/queue_id.c queue/queue_ctl.c \
		queue/qstat_print.c queue/queue_dsn.c
FUZZ_SRCS +=	lookup/aliases_parse.c lookup/vdomains.c control/ctl.c \
		lib/log.c lib/paths.c
FUZZ_SRCS +=	send/mbox_quote.c send/mime.c send/mime7.c
FUZZ_SRCS +=	queue/addrlist.c queue/sendmail_body.c
FUZZ_SRCS +=	smtpd/proxy.c
FUZZ_SRCS +=	send/spawn_rec.c queue/queue_drop.c queue/header.c
FUZZ_SRCS +=	queue/dkim_req.c
FUZZ_SRCS +=	send/remote_routes.c send/remote_cfg.c control/ctl_knob.c \
		queue/queue_trust.c lookup/relay.c lookup/clientaccess.c \
		smtpd/proxy_from.c lib/dns.c \
		lib/priv.c lookup/policy_cdb.c smtpd/smtpd_auth.c
FUZZ_SRCS +=	lookup/users.c lookup/aliases.c lookup/rcpthosts.c lookup/senders.c
FUZZ_SRCS +=	queue/verify_ar.c queue/verify_ptr.c
FUZZ_SRCS +=	smtpd/dnsbl.c lib/clock.c smtpd/policy.c
FUZZ_SRCS +=	smtpd/smtpd_runner.c lib/spawn.c lib/fdpass.c
FUZZ_SRCS +=	send/worker_req.c send/spawn_msg.c
FUZZ_SRCS +=	queue/milter.c queue/milter_msg.c
FUZZ_SRCS +=	send/sts_parse.c
FUZZ_SRCS +=	lib/srs.c smtpd/smtpd_srs.c lookup/relayrcpt.c lookup/badaddr.c
FUZZ_SRCS +=	lib/dsnparam.c
FUZZ_SRCS +=	smtpd/checks.c smtpd/content.c
FUZZ_FLAGS =	-g -O1 -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(QP_INCLUDES) \
		$(PKG_CFLAGS) \
		-fno-sanitize-recover=undefined
# lib/paths.c (for control/ctl.c, which fuzz_aliases links) wants these;
# the fuzzers read no control file
FUZZ_FLAGS +=	-DQPOST_CONTROLDIR='"/nonexistent"' \
		-DQPOST_QUEUEDIR='"/nonexistent"' \
		-DQPOST_LIBEXECDIR='"/nonexistent"'
fuzz-build: $(HDRS)
	mkdir -p $(FUZZ_DIR)
	objs=; for s in $(FUZZ_SRCS); do \
	    o=$(FUZZ_DIR)/$$(echo "$${s%.c}" | tr / _).o; \
	    $(FUZZ_CC) $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer-no-link,address,undefined -c -o $$o $$s || \
	    exit 1; objs="$$objs $$o"; done; \
	for t in $(FUZZ_TARGETS); do \
	    $(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $(FUZZ_DIR)/$$t tests/fuzz/$$t.c $$objs $(PKG_LIBS) || exit 1; \
	    mkdir -p tests/fuzz/corpus/$$t tests/fuzz/crashes/$$t; done
fuzz: fuzz-build
	for t in $(FUZZ_TARGETS); do \
	    $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/$$t/ \
	    tests/fuzz/corpus/$$t || exit 1; done

.sh:
	cp $< $@
	chmod 755 $@

# check and demo are the first commands on a fresh machine: each first
# installs the Debian packages it needs (.ci/need), then builds.
check:
	sh .ci/need check
	$(MAKE) all
	sh tests/run.sh

# The crash-loop soak (tests/soak/soak.py): as root it mounts an ext4
# loop image and runs the instance as qptest.  SEED= replays a run's
# choices; SOAK_FLAGS= passes more options (--drain-timeout 600, say).
# For ASan/UBSan daemons: make clean; make SANITIZE=1; then make soak
# SANITIZE=1 (progs is remade first, and a plain remake over a
# sanitizer build mixes objects of the two and fails to link).
MINUTES ?=	30
RATE ?=		20
KILL_MEAN_MS ?=	1000
SEED ?=
SOAK_FLAGS ?=
soak:
	$(MAKE) progs
	seed='$(SEED)'; /usr/bin/python3 tests/soak/soak.py \
	    --minutes $(MINUTES) --rate $(RATE) \
	    --kill-mean-ms $(KILL_MEAN_MS) $${seed:+--seed "$$seed"} \
	    $(SOAK_FLAGS)

lint:
	mandoc -Tlint -W warning $(MANS)

# bench: qpost against a private Postfix, side by side (issue 10), as
# root; writes BENCHMARKS.md.  Never part of check.  BENCH_SCALE=0.1
# BENCH_ROUNDS=1 for a quick run: see tests/bench/bench.sh.
bench: progs $(BENCH_PROGS)
	sh tests/bench/bench.sh

# exec: make is then the demo's parent, which it watches to stop with it.
demo:
	sh .ci/need demo
	$(MAKE) progs
	exec sh control/qpost-demo

# Nothing installed is setuid or setgid: qinject needs no privilege
# (DESIGN.md), and tests/install checks it.
install: progs
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/services \
	    $(DESTDIR)$(DOCDIR)/examples/services \
	    $(DESTDIR)$(DOCDIR)/examples/systemd
	for p in $(PROGS); do \
	    cp $$p $(DESTDIR)$(LIBEXECDIR)/ && \
	    chmod 755 $(DESTDIR)$(LIBEXECDIR)/$${p##*/}; done
	for p in $(BIN_PROGS); do \
	    cp $(DESTDIR)$(LIBEXECDIR)/$$p $(DESTDIR)$(BINDIR)/; done
	for p in $(SBIN_PROGS); do \
	    cp $(DESTDIR)$(LIBEXECDIR)/$$p $(DESTDIR)$(SBINDIR)/; done
	cp $(DESTDIR)$(LIBEXECDIR)/sendmail $(DESTDIR)$(SBINDIR)/sendmail
	ln -f $(DESTDIR)$(SBINDIR)/sendmail $(DESTDIR)$(SBINDIR)/mailq
	ln -f $(DESTDIR)$(SBINDIR)/sendmail $(DESTDIR)$(SBINDIR)/newaliases
	cp $(DESTDIR)$(LIBEXECDIR)/sendmail $(DESTDIR)$(BINDIR)/mailq
	sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|' -e 's|@DATADIR@|$(DATADIR)|' \
	    control/qpost-setup > $(DESTDIR)$(SBINDIR)/qpost-setup
	chmod 755 $(DESTDIR)$(SBINDIR)/qpost-setup
	cp control/qpost-logsum $(DESTDIR)$(SBINDIR)/ && chmod 755 $(DESTDIR)$(SBINDIR)/qpost-logsum
	for f in $(SVC_TEMPLATES); do \
	    cp $$f $(DESTDIR)$(DATADIR)/services/ && \
	    cp $$f $(DESTDIR)$(DOCDIR)/examples/services/; done
	chmod 644 $(DESTDIR)$(DATADIR)/services/* \
	    $(DESTDIR)$(DOCDIR)/examples/services/*
	for u in $(SYSTEMD_UNITS); do \
	    sed 's|@LIBEXEC@|$(LIBEXECDIR)|g' control/services/systemd/$$u \
	    > $(DESTDIR)$(DOCDIR)/examples/systemd/$$u; done
	cp $(MANS1) $(DESTDIR)$(MANDIR)/man1/
	cp $(MANS5) $(DESTDIR)$(MANDIR)/man5/
	cp $(MANS7) $(DESTDIR)$(MANDIR)/man7/
	cp $(MANS8) $(DESTDIR)$(MANDIR)/man8/
	ln -f $(DESTDIR)$(MANDIR)/man8/sendmail.8 \
	    $(DESTDIR)$(MANDIR)/man8/mailq.8
	ln -f $(DESTDIR)$(MANDIR)/man8/sendmail.8 \
	    $(DESTDIR)$(MANDIR)/man8/newaliases.8
	ln -f $(DESTDIR)$(MANDIR)/man1/qinject.1 \
	    $(DESTDIR)$(MANDIR)/man1/qinject-nss.1

# every folder that holds objects (and their .d files)
OBJDIRS =	lib smtpd queue send lookup control tests tests/*
clean:
	# every object by folder, not by list: a list missed remote's, and
	# a stale sanitizer object then broke the plain link after it
	rm -f $(LIBA) $(PROGS) $(UNIT_TESTS) $(SH_TESTS) $(FUZZ_REPLAY) \
	    queue/musl-static-pie.specs \
	    $(TEST_PROGS) $(addsuffix /*.o,$(OBJDIRS)) \
	    $(addsuffix /*.d,$(OBJDIRS))
	rm -rf build

.PHONY: all progs check lint demo install clean fuzz fuzz-build bench soak

# the headers each object included (see .c.o); last, so that no target
# of theirs becomes the default goal
-include $(wildcard $(addsuffix /*.d,$(OBJDIRS)))
