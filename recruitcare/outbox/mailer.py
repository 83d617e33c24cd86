"""Mail backends for the outbox worker: build the email, then hand it to SMTP or to a file.

The SMTP backend speaks the protocol one step at a time so it knows whether the message data
went out before a connection was lost; that decides whether a retry may be a duplicate.
"""

import binascii
import functools
import os
import random
import re
import smtplib
import socket
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path


@dataclass(frozen=True)
class SendResult:
    """What one message's attempt came to: the reply code, or None when no reply came."""

    code: int | None
    error: str | None = None
    data_sent: bool = False


class MailerUnavailable(Exception):
    """The mail server could not be reached or refused the session (not a message's fault)."""


def mail_backend(config: Mapping) -> str:
    backend = config.get("MAIL_BACKEND") or (
        "smtp" if config.get("ENV") == "production" else "file"
    )
    if backend not in ("smtp", "file"):
        raise ValueError(f"MAIL_BACKEND must be 'smtp' or 'file', not {backend!r}.")
    return backend


def default_sender(config: Mapping) -> tuple[str, str]:
    """MAIL_DEFAULT_SENDER as (name, address); it may be a pair or 'Name <address>'."""
    sender = config["MAIL_DEFAULT_SENDER"]
    if isinstance(sender, list | tuple):
        name, address = sender
        return str(name), str(address)
    return parseaddr(str(sender))


def message_id_domain(config: Mapping) -> str:
    configured = config.get("MAIL_MESSAGE_ID_DOMAIN")
    if configured:
        return configured
    address = default_sender(config)[1]
    return address.rpartition("@")[2] or "localhost"


class _HeaderClasses(HeaderRegistry):
    """The standard registry makes a new class for every header it parses, which costs more
    than the rest of building a message; this one makes each class once."""

    def __init__(self):
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


SMTP_POLICY = policy.SMTP.clone(header_factory=_HeaderClasses())


def build_message(
    *,
    sender_name: str,
    sender_address: str,
    recipient: str,
    recipient_name: str,
    reply_to: str,
    subject: str,
    message_id: str,
    text_body: str,
    html_body: str,
    now: datetime,
) -> EmailMessage:
    """A multipart/alternative email (plain text first, then HTML when there is some).

    Raises ValueError for an address that cannot be written into an SMTP envelope.
    """
    if not recipient.isascii():
        raise ValueError("the recipient address has non-ASCII characters")
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = Address(display_name=sender_name, addr_spec=sender_address)
    message["To"] = Address(display_name=recipient_name, addr_spec=recipient)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message.set_content(text_body, cte="quoted-printable")
    if html_body:
        message.add_alternative(html_body, subtype="html", cte="quoted-printable")
    return message


# What the fast path writes as it is: header values of plain printable ASCII that the email
# package would write unchanged, so the bytes are the same as build_message's.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_MESSAGE_ID = re.compile(rf"<{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>")
_PLAIN_NAME = re.compile(
    r"[A-Za-z0-9'-]+(?: [A-Za-z0-9'-]+)*(?:[,.] ?[A-Za-z0-9'-]+(?: [A-Za-z0-9'-]+)*)*\.?"
)
_PLAIN_TEXT = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_LINE = 78


def _mailbox(name: str, address: str) -> str | None:
    """``Name <address>`` as the email package writes it, or None when it would do more."""
    if not _ADDRESS.fullmatch(address):
        return None
    if not name:
        return address
    if not _PLAIN_NAME.fullmatch(name):
        return None
    return f'"{name}" <{address}>' if ("," in name or "." in name) else f"{name} <{address}>"


def _quoted_printable(text: str) -> bytes:
    """The body as UTF-8 quoted-printable with CRLF line ends, ending with a line break."""
    lines = text.encode("utf-8").splitlines()
    encoded = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True)
    return encoded.replace(b"\n", b"\r\n")


def build_payload(
    *,
    sender_name: str,
    sender_address: str,
    recipient: str,
    recipient_name: str,
    reply_to: str,
    subject: str,
    message_id: str,
    text_body: str,
    html_body: str,
    now: datetime,
) -> bytes:
    """The email as bytes ready for SMTP: the message ``build_message`` makes, written
    directly when every header value is plain ASCII that needs no encoding or folding (the
    common case, several times faster), and by ``build_message`` otherwise.

    Raises ValueError for an address that cannot be written into an SMTP envelope.
    """
    if not recipient.isascii():
        raise ValueError("the recipient address has non-ASCII characters")
    sender = _mailbox(sender_name, sender_address)
    to = _mailbox(recipient_name, recipient)
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Reply-To: {reply_to}" if reply_to else None,
        f"Subject: {subject}",
        f"Date: {format_datetime(now)}",
        f"Message-ID: {message_id}",
    ]
    plain = (
        sender is not None
        and to is not None
        and (not reply_to or _ADDRESS.fullmatch(reply_to))
        and _PLAIN_TEXT.fullmatch(subject)
        and "=?" not in subject
        and _MESSAGE_ID.fullmatch(message_id)
        and all(len(line) <= _LINE for line in headers if line)
    )
    if not plain:
        return build_message(
            sender_name=sender_name,
            sender_address=sender_address,
            recipient=recipient,
            recipient_name=recipient_name,
            reply_to=reply_to,
            subject=subject,
            message_id=message_id,
            text_body=text_body,
            html_body=html_body,
            now=now,
        ).as_bytes()
    text_part = [
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
    ]
    head = "\r\n".join(line for line in headers if line)
    if not html_body:
        top = "\r\n".join([head, *text_part, "MIME-Version: 1.0", "", ""])
        return top.encode("ascii") + _quoted_printable(text_body)
    # As the email package does: QP never writes "==", so the boundary cannot occur inside.
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
    html_part = [
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "MIME-Version: 1.0",
    ]
    top = "\r\n".join(
        [
            head,
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative;",
            f' boundary="{boundary}"',
            "",
            f"--{boundary}",
            *text_part,
            "",
            "",
        ]
    )
    middle = "\r\n".join(["", f"--{boundary}", *html_part, "", ""])
    return b"".join(
        [
            top.encode("ascii"),
            _quoted_printable(text_body),
            middle.encode("ascii"),
            _quoted_printable(html_body),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )


def _for_data(payload: bytes) -> bytes:
    """Dot-stuff the message and add the end-of-data line (RFC 5321 section 4.5.2)."""
    payload = re.sub(rb"(?m)^\.", b"..", payload)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return payload + b".\r\n"


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:500]


@functools.cache
def _this_host() -> str:
    """This host's name for EHLO; looked up once, as the lookup may be slow."""
    return socket.getfqdn()


class SmtpMailer:
    """One SMTP session, opened on the first message and reused until closed."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        timeout: float,
        use_ssl: bool = False,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        local_hostname: str | None = None,
    ):
        self.host, self.port, self.timeout = host, port, timeout
        self.use_ssl, self.use_tls = use_ssl, use_tls
        self.username, self.password = username, password
        self.local_hostname = local_hostname or _this_host()
        self._connection: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect, greet, secure and sign in; raises MailerUnavailable."""
        if self._connection is not None:
            return
        context = ssl.create_default_context() if self.use_ssl or self.use_tls else None
        try:
            if self.use_ssl:
                connection = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=context,
                )
            else:
                connection = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
        except (OSError, ValueError) as error:
            raise MailerUnavailable(f"cannot connect to {self.host}:{self.port}: {error}") from None
        try:
            connection.ehlo_or_helo_if_needed()
            if self.use_tls:
                connection.starttls(context=context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password or "")
        except (OSError, ValueError) as error:
            connection.close()
            raise MailerUnavailable(f"mail server refused the session: {error}") from None
        self._connection = connection

    def send(
        self, envelope_from: str, recipient: str, payload: bytes, *, label: str = ""
    ) -> SendResult:
        """Send one message; a lost connection is closed and reopened by the next send.

        Raises MailerUnavailable when no session can be opened: the caller decides what that
        means for this message and the ones after it.
        """
        self.open()
        connection = self._connection
        data_sent = False
        try:
            code, reply = connection.mail(envelope_from)
            if code != 250:
                # The sender is refused: a setting to fix, not this message's fault.
                self._reset_or_close(code)
                return SendResult(None, f"sender refused ({code}): {_reply_text(reply)}")
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                self._reset_or_close(code)
                return SendResult(code, _reply_text(reply))
            code, reply = connection.docmd("DATA")
            if code != 354:
                self._reset_or_close(code)
                return SendResult(code, _reply_text(reply))
            connection.send(_for_data(payload))
            data_sent = True
            code, reply = connection.getreply()
            if code == 421:
                self.close()
            return SendResult(code, _reply_text(reply), data_sent=True)
        except OSError as error:
            self.close()
            return SendResult(None, str(error) or type(error).__name__, data_sent=data_sent)

    def _reset_or_close(self, code: int) -> None:
        if code == 421:  # the server is closing the session
            self.close()
            return
        try:
            self._connection.rset()
        except OSError:
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except OSError:
            pass
        finally:
            connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileMailer:
    """Development backend: one .eml file per message; a written file counts as delivered."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(
        self, envelope_from: str, recipient: str, payload: bytes, *, label: str = ""
    ) -> SendResult:
        self.open()
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", label) or "message"
        path = self.directory / f"{stem}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(payload)
        os.replace(partial, path)
        return SendResult(250, f"written to {path.name}")

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def mailer_from_config(config: Mapping, instance_path: str) -> SmtpMailer | FileMailer:
    if mail_backend(config) == "file":
        return FileMailer(config.get("MAIL_FILE_DIR") or Path(instance_path) / "mail")
    return SmtpMailer(
        host=config["MAIL_SERVER"],
        port=int(config["MAIL_PORT"]),
        timeout=float(config["MAIL_TIMEOUT"]),
        use_ssl=bool(config["MAIL_USE_SSL"]),
        use_tls=bool(config["MAIL_USE_TLS"]),
        username=config.get("MAIL_USERNAME"),
        password=config.get("MAIL_PASSWORD"),
        local_hostname=config.get("MAIL_LOCAL_HOSTNAME"),
    )
