"""A mail server that is down: what a site meets when SMTP fails."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

DOWN = "tests.helpers.mail.DownEmailBackend"


class DownEmailBackend(BaseEmailBackend):
    """Refuse every message, as an unreachable SMTP server makes Django do."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
