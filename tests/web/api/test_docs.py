"""/docs: the API reference rendered on the server from /openapi.json, with no script and nothing from
another origin, so it works offline and under the Content-Security-Policy."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.web.api.conftest import Api


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        for name in ("href", "src"):
            if found.get(name):
                self.links.append(str(found[name]))


def test_the_reference_documents_every_operation_without_script_or_other_origins(api: Api) -> None:
    answer = api.client.get("/docs")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page = _Page()
    page.feed(answer.text)
    assert "script" not in page.tags and "style" not in page.tags and not re.search(r"\sstyle=", answer.text)
    assert all(link.startswith(("/", "#")) for link in page.links), page.links
    assert all(link[1:] in page.ids for link in page.links if link.startswith("#"))
    document = api.client.get("/openapi.json").json()
    operations = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operations) >= 40
    for operation_id in operations:
        assert f'id="op-{operation_id}"' in answer.text
    for schema in document["components"]["schemas"]:
        assert f'id="schema-{schema}"' in answer.text
    stylesheet = api.client.get("/docs/docs.css")
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")
