#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# inetd - a minimal inetd for tests: listen on HOST (IPv4 or IPv6) at a
# free port, write the port to PORTFILE, and run PROGRAM for each
# connection with the socket as its descriptors 0 and 1 and nothing in
# the environment about the peer, as inetd and systemd's Accept=yes do,
# so the program must ask getpeername(2).
#
#   inetd.py HOST PORTFILE QPOST_QUEUE=DIR PROGRAM [ARG...]
#
# The QPOST_QUEUE=DIR argument names the instance, so tests/lib.sh can
# tell this process is one of its own.
import os
import signal
import socket
import sys

host, portfile, _instance, prog = sys.argv[1:5]
args = sys.argv[4:]
signal.signal(signal.SIGCHLD, signal.SIG_IGN)	# no zombies
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, 0))
s.listen(64)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = s.accept()
    if os.fork() == 0:
        s.close()
        os.dup2(c.fileno(), 0)
        os.dup2(c.fileno(), 1)
        c.close()
        for k in ("TCPREMOTEIP", "TCPREMOTEHOST", "REMOTE_ADDR"):
            os.environ.pop(k, None)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.execv(prog, args)
    c.close()
