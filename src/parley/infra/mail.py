"""Outgoing e-mail: SMTP when configured, otherwise one .eml file per message in an outbox
folder the admin can read (so a fresh instance can reset passwords without a mail server)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import anyio

from parley.config import Settings
from parley.db.ids import new_id


def build_message(settings: Settings, *, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def _send_smtp(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)


def _write_outbox(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{new_id()}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
    return path


async def send_mail(settings: Settings, *, to: str, subject: str, body: str) -> None:
    message = build_message(settings, to=to, subject=subject, body=body)
    if settings.smtp_host:
        await anyio.to_thread.run_sync(_send_smtp, settings, message)
    else:
        await anyio.to_thread.run_sync(_write_outbox, settings.outbox_dir, message)
