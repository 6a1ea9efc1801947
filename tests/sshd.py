"""A real OpenSSH server on loopback for the tests (Debian's openssh-server, which scripts/test
installs): key auth from a temporary directory, started here and stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.stack import free_port, wait_until

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class Sshd:
    port: int
    home: Path  # a HOME whose ~/.ssh knows the server as `launch-host` (key, known host key)
    key: Path  # the client's private key
    known_hosts: Path

    def ssh(self, *remote: str, tty: bool = False) -> list[str]:
        """The ssh command line that runs `remote` on the server as root."""
        return [
            "ssh",
            *(["-tt"] if tty else []),
            "-F",
            "/dev/null",
            "-i",
            str(self.key),
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "BatchMode=yes",
            "-p",
            str(self.port),
            "root@127.0.0.1",
            *remote,
        ]


@contextlib.contextmanager
def sshd(directory: Path, extra_config: str = "") -> Iterator[Sshd]:
    d = directory
    for key in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True
        )
    (d / "authorized_keys").write_text((d / "client.pub").read_text())
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        f"StrictModes no\nPidFile {d}/sshd.pid\n{extra_config}"
    )
    # sshd's privilege separation dir; the Debian service makes it at start (it is not ours
    # to remove: another sshd may be using it).
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    with open(d / "sshd.log", "wb") as log:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(d / "sshd_config")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until("sshd", lambda: b"Server listening" in (d / "sshd.log").read_bytes(), 15)
        home = d / "home"
        (home / ".ssh").mkdir(parents=True)
        host_key = " ".join((d / "host.pub").read_text().split()[:2])
        known_hosts = home / ".ssh" / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_key}\n")
        # The port goes in the URL: docker-py fills in 22 before ~/.ssh/config is read.
        (home / ".ssh" / "config").write_text(
            f"Host launch-host\n  HostName 127.0.0.1\n  User root\n  IdentityFile {d}/client\n"
        )
        yield Sshd(port, home, d / "client", known_hosts)
    finally:
        proc.send_signal(signal.SIGTERM)  # by PID: only the sshd we started
        proc.wait(timeout=10)
