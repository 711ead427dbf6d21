"""The API tokens page in each language: its help shows the header to send, placeholder and all."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.web.portal.conftest import Portal


@pytest.mark.parametrize("language", ["en", "nl", "da"])
def test_the_tokens_help_shows_the_bearer_placeholder_as_text_in_every_language(portal: Portal, language: str) -> None:
    portal.sign_in()
    portal.client.cookies.set("settle_locale", language)
    page = portal.client.get("/settings/tokens")
    assert page.status_code == 200 and f'lang="{language}"' in page.text
    shown = unescape(re.sub(r"<[^>]+>", "", page.text))
    assert "Authorization: Bearer <token>." in shown
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in page.text
