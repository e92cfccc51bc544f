"""A private dovecot IMAP server on loopback for the mail-intake tests (no SSL, one passwd-file user).

Everything lives in one temporary folder: the configuration, the passwd file, the Maildir, the
sockets and the log. Run as root (CI), the mail is owned by ``nobody`` (dovecot never serves
mail as root); run as another user, dovecot runs as that user without chroots.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
USER = "service"
PASSWORD = "service-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """Start with :meth:`start`, stop with :meth:`stop`; ``deliver`` drops a message into the inbox."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="depot-dovecot-"))
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam("nobody")
            self.uid, self.gid = owner.pw_uid, owner.pw_gid
            self.internal = ""
        else:
            self.uid, self.gid = os.geteuid(), os.getegid()
            name, group = pwd.getpwuid(self.uid).pw_name, grp.getgrgid(self.gid).gr_name
            self.internal = (f"default_internal_user = {name}\ndefault_internal_group = {group}\n"
                             f"default_login_user = {name}\n"
                             "service anvil {\n  chroot =\n}\nservice imap-login {\n  chroot =\n}\n")
        self.maildir = self.root / "mail" / USER

    def _write_config(self) -> Path:
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "run").mkdir()
        (self.root / "passwd").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{self.uid}:{self.gid}::{self.root / 'mail' / USER}::\n")
        for path in [self.root / "mail", *self.maildir.parent.rglob("*")]:
            os.chown(path, self.uid, self.gid)
        conf = self.root / "dovecot.conf"
        conf.write_text(f"""
base_dir = {self.root / 'run'}
state_dir = {self.root / 'run'}
instance_name = depot-test-{self.port}
log_path = {self.root / 'dovecot.log'}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{self.root / 'mail'}/%u
{self.internal}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root / 'passwd'}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root / 'passwd'}
}}
""")
        return conf

    def start(self) -> None:
        conf = self._write_config()
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot stopped: " + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen: " + self.log())

    def log(self) -> str:
        out = self.proc.stdout.read().decode(errors="replace") if self.proc and self.proc.poll() is not None else ""
        path = self.root / "dovecot.log"
        return out + (path.read_text(errors="replace") if path.exists() else "")

    def deliver(self, raw: bytes, name: str) -> None:
        """Put a message into the inbox as a delivery agent does: written in tmp/, renamed into new/."""
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.uid, self.gid)
        os.replace(tmp, self.maildir / "new" / name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
