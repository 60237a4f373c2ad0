#!/usr/bin/env python3
"""Drives tests/sshd.sh's two-factor logins (standard library only).

    ssh_totp.py enroll WICKET CONFIG USER SECRET_FILE
        runs `wicket user totp enroll USER`, reads the secret it prints, confirms the
        enrolment with the current code and keeps the secret in SECRET_FILE (0600);
    ssh_totp.py login PORT USER PASSWORD SECRET_FILE right|wrong
        logs in over ssh with keyboard-interactive on a pty, answers the password prompt and
        the "Verification code" prompt (the next time step's code, or a wrong one) and runs
        `id`. Exit 0 when the login ran `id`, 5 when the server refused (asked again or said
        Permission denied), 1 on anything else (no prompt, time-out).
"""

import base64
import hmac
import os
import select
import struct
import subprocess
import sys
import time


def code(secret_b32: str, step: int) -> str:
    """RFC 6238 with the defaults (SHA-1, 6 digits, 30 s) at time step `step`."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), "sha1").digest()
    off = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def enroll(wicket: str, config: str, user: str, secret_file: str) -> int:
    p = subprocess.Popen([wicket, "--config", config, "user", "totp", "enroll", user], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    secret = None
    assert p.stdout is not None and p.stdin is not None
    for line in p.stdout:
        if line.startswith("secret: "):
            secret = line.split(": ", 1)[1].strip()
            break
    if not secret:
        print("no secret in the enrolment's output", file=sys.stderr)
        p.kill()
        return 1
    p.stdin.write(code(secret, int(time.time()) // 30) + "\n")
    p.stdin.flush()
    p.stdin.close()
    p.stdin = None  # communicate() would flush it again
    _, err = p.communicate(timeout=30)
    if p.returncode != 0:
        print(f"enroll exited {p.returncode}: {err}", file=sys.stderr)
        return 1
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, secret.encode())
    os.close(fd)
    return 0


def login(port: str, user: str, password: str, secret_file: str, which: str) -> int:
    secret = open(secret_file).read().strip()
    argv = ["ssh", "-p", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=keyboard-interactive", "-o", "PubkeyAuthentication=no",
            "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            f"{user}@127.0.0.1", "id"]
    pid, fd = os.forkpty()
    if pid == 0:
        os.execvp(argv[0], argv)
    seen, answered, deadline = b"", set(), time.monotonic() + 30
    status = 1
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the pty closes when ssh exits
            break
        if not chunk:
            break
        seen += chunk
        low = seen.lower()
        if b"password:" in low and "password" not in answered:
            answered.add("password")
            os.write(fd, password.encode() + b"\n")
        elif b"verification code:" in low and "code" not in answered:
            answered.add("code")
            now = int(time.time()) // 30
            os.write(fd, (code(secret, now + 1) if which == "right" else "000000").encode() + b"\n")
    _, wait = os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    if b"uid=" in seen:
        status = 0
    elif "permission denied" in text.lower() or os.waitstatus_to_exitcode(wait) == 255:
        status = 5
    print(text.replace(password, "<password>"))
    if "code" not in answered:
        print("ssh_totp: the server never asked for a verification code", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["enroll"] and len(a) == 5:
        sys.exit(enroll(*a[1:]))
    if a[:1] == ["login"] and len(a) == 6:
        sys.exit(login(*a[1:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
