#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# auth_client.py SOCKET USER IP - send one qpauth request (the password
# is read from standard input, one line, so it is on no command line)
# and print qpauth's one-byte answer ('0', '1' or '2'), or "none" if it
# closed without one.  Exit 0 in every case it could connect.
import os
import socket
import sys

sock, user, ip = sys.argv[1], sys.argv[2], sys.argv[3]
password = sys.stdin.readline().rstrip("\n")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(90)
s.connect(sock)
s.sendall(user.encode() + b"\0" + password.encode() + b"\0" +
          ip.encode() + b"\0")
s.shutdown(socket.SHUT_WR)
a = s.recv(1)
# one write: parallel clients append to one file, and print() may make
# two, whose halves then interleave with another client's
os.write(1, (a.decode() if a else "none").encode() + b"\n")
