"""The workspace's forms (WTForms): fields, limits and the CSRF token in one place.

Why WTForms: it validates what a browser posts and renders fields with their errors, and its
session CSRF is a reviewed implementation; nothing here compares tokens by hand.
"""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from bot.workspace.i18n import N_
from bot.workspace.pages import CsrfForm


class LoginForm(CsrfForm):
    username = StringField(N_("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(N_("Password"), validators=[DataRequired(), Length(max=200)])


class LogoutForm(CsrfForm):
    """Signing out is a POST with a token: a link elsewhere cannot sign a partner out."""


class LanguageForm(CsrfForm):
    """The workspace's language menu (en, fr, es, ht)."""

    language = HiddenField()
