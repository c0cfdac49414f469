"""A throw-away, loopback-only Postfix for the gateway's end-to-end tests.

Everything lives in one temporary folder: ``etc/`` (main.cf, master.cf, the mailbox map),
``spool/`` (queue_directory), ``data/`` (data_directory), ``mail/`` (virtual Maildirs) and
``maillog``. Chroot is off, DNS is off, every service listens on 127.0.0.1 only, and the
default transport is ``error:``, so this Postfix cannot send mail anywhere but to the gateway
and its own mailboxes.

Ports: ``inbound`` (the Internet side, content_filter to the gateway), ``reinject`` (the
gateway's next hop, no filter), and ``plain`` (no filter at all, the benchmark's baseline).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
POSTQUEUE = shutil.which("postqueue") or "/usr/sbin/postqueue"
DOMAIN = "lgwan.test"
USERS = ("tanaka", "suzuki", "sato")
VMAIL_UID = 65534  # nobody: the virtual(8) agent refuses uid 0


def available() -> bool:
    """True when Postfix is installed and we are root (postfix start needs root)."""
    return os.path.exists(POSTFIX) and os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


MAIN_CF = """\
compatibility_level = 3.6
config_directory = {etc}
queue_directory = {spool}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.isms.test
mydomain = isms.test
myorigin = isms.test
mydestination =
relay_domains =
relayhost =
default_transport = error:5.7.1 this test Postfix relays nowhere
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {mail}
virtual_mailbox_maps = texthash:{etc}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{uid}
virtual_minimum_uid = 100
local_recipient_maps =
biff = no
alias_maps =
alias_database =
maillog_file_prefixes = {root}
maillog_file = {root}/maillog
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
in_flow_delay = 0
default_process_limit = 40
message_size_limit = 52428800
virtual_mailbox_limit = 0
scan_destination_concurrency_limit = {maxproc}
"""

MASTER_CF = """\
127.0.0.1:{inbound} inet n - n - - smtpd
  -o content_filter=scan:[127.0.0.1]:{gateway}
127.0.0.1:{plain} inet n - n - - smtpd
  -o content_filter=
127.0.0.1:{reinject} inet n - n - - smtpd
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o mynetworks=127.0.0.0/8
scan      unix  -       -       n       -       {maxproc}       smtp
  -o smtp_send_xforward_command=no
  -o disable_mime_output_conversion=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass
class Postfix:
    """One running test Postfix; ``root`` is its temporary folder."""

    root: Path
    gateway: int
    maxproc: int = 4

    def __post_init__(self) -> None:
        self.etc = self.root / "etc"
        self.spool = self.root / "spool"
        self.data = self.root / "data"
        self.mail = self.root / "mail"
        self.inbound = free_port()
        self.reinject = free_port()
        self.plain = free_port()

    def address(self, user: str) -> str:
        return f"{user}@{DOMAIN}"

    def write_config(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in (self.root, *self.root.parents):
            if folder == Path("/tmp") or folder == Path("/"):
                break
            folder.chmod(0o755)  # mkdtemp makes 0700; postfix and nobody must traverse
        for folder in (self.etc, self.spool, self.data, self.mail):
            folder.mkdir(parents=True, exist_ok=True)
        os.chown(self.data, *_postfix_ids())
        os.chown(self.mail, VMAIL_UID, VMAIL_UID)
        values = {
            "etc": self.etc,
            "spool": self.spool,
            "data": self.data,
            "mail": self.mail,
            "root": self.root,
            "domain": DOMAIN,
            "uid": VMAIL_UID,
            "inbound": self.inbound,
            "plain": self.plain,
            "reinject": self.reinject,
            "gateway": self.gateway,
            "maxproc": self.maxproc,
        }
        (self.etc / "main.cf").write_text(MAIN_CF.format(**values), encoding="utf-8")
        (self.etc / "master.cf").write_text(MASTER_CF.format(**values), encoding="utf-8")
        lines = [f"{self.address(u)} {DOMAIN}/{u}/\n" for u in USERS]
        (self.etc / "vmailbox").write_text("".join(lines), encoding="utf-8")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [POSTFIX, "-c", str(self.etc), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def start(self) -> None:
        self.write_config()
        self.run("start")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.inbound), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"postfix did not listen on {self.inbound}: {self.maillog()}")

    def stop(self) -> None:
        self.run("stop", check=False)

    def maillog(self) -> str:
        path = self.root / "maillog"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def queue(self) -> str:
        """``postqueue -p``: the queue listing."""
        done = subprocess.run(
            [POSTQUEUE, "-c", str(self.etc), "-p"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout

    def queue_empty(self) -> bool:
        return "Mail queue is empty" in self.queue()

    def flush(self) -> None:
        """``postqueue -f``: deliver deferred mail now."""
        subprocess.run(
            [POSTQUEUE, "-c", str(self.etc), "-f"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )

    def delivered(self, user: str | None = None) -> list[EmailMessage]:
        """Every message in the Maildir(s) ``new/``, oldest first."""
        users = [user] if user else list(USERS)
        files: list[Path] = []
        for name in users:
            folder = self.mail / DOMAIN / name / "new"
            if folder.is_dir():
                files.extend(folder.iterdir())
        files.sort(key=lambda p: p.stat().st_mtime_ns)
        out = []
        for path in files:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            out.append(message)
        return out

    def wait_delivered(self, count: int, *, timeout: float = 60.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.delivered()
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.1)


def _postfix_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postfix")
    return entry.pw_uid, entry.pw_gid
