#!/usr/bin/python3
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# sts_https.py - an HTTPS server for the MTA-STS tests: it serves
# DIR/response (a whole HTTP response, as it is) when that file exists,
# else DIR/policy as a 200 of type text/plain, else a 404; it appends
# each request's first line to DIR/requests and ends every connection
# with TLS's close_notify.  When DIR/drip exists it sends the answer a
# byte every half second.  It writes its pid to DIR/pid, then DIR/ready.
#
# usage: sts_https.py --listen ADDR:PORT --cert PEM --key PEM --dir DIR
import argparse
import os
import socket
import ssl
import time


def answer(d):
    try:
        with open(os.path.join(d, "response"), "rb") as f:
            return f.read()
    except FileNotFoundError:
        pass
    try:
        with open(os.path.join(d, "policy"), "rb") as f:
            body = f.read()
    except FileNotFoundError:
        return b"HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\n"
    return (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8"
            b"\r\nContent-Length: %d\r\n\r\n" % len(body)) + body


def serve(conn, d):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    with open(os.path.join(d, "requests"), "ab") as f:
        f.write(data.split(b"\r\n", 1)[0] + b"\n")
    out = answer(d)
    if not os.path.exists(os.path.join(d, "drip")):
        conn.sendall(out)
    else:
        for i in range(len(out)):
            conn.sendall(out[i:i + 1])
            time.sleep(0.5)
    conn.unwrap()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(16)
    with open(os.path.join(a.dir, "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    open(os.path.join(a.dir, "ready"), "w").close()
    while True:
        raw, _ = s.accept()
        raw.settimeout(10)
        try:
            with ctx.wrap_socket(raw, server_side=True) as conn:
                serve(conn, a.dir)
        except (OSError, ssl.SSLError):
            pass
        finally:
            raw.close()


if __name__ == "__main__":
    main()
