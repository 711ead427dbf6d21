"""The help articles: Markdown files with front matter under settle/help/articles/<locale>/<id>.md,
loaded and checked once. Every article exists in every language; its related articles and its
links name things that exist, or loading fails (a test loads them all)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from settle.accounts.model import LOCALES
from settle.help.model import (
    HELP_PREFIX,
    LINK_TARGETS,
    Article,
    ArticleNotFound,
    UnknownLinkTarget,
    check_link_target,
    is_article_id,
)

ARTICLES = Path(__file__).parent / "articles"
FIELDS = ("id", "locale", "title", "summary", "topics", "keywords", "related", "links")
LIST_FIELDS = frozenset({"topics", "keywords", "related", "links"})
FENCE = "---"


class ArticleError(ValueError):
    """An article file is malformed or names something that does not exist."""


def _value(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _items(raw: str) -> tuple[str, ...]:
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    return tuple(item for item in (_value(part) for part in raw.split(",")) if item)


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """The `key: value` lines between the opening and closing `---`, and where the body starts."""
    if not lines or lines[0].strip() != FENCE:
        raise ArticleError("the file must start with a '---' line of front matter")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == FENCE:
            return fields, number
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or not key:
            raise ArticleError(f"line {number}: expected 'key: value', not {line!r}")
        if key not in FIELDS:
            raise ArticleError(f"line {number}: unknown field '{key}' (known: {', '.join(FIELDS)})")
        if key in fields:
            raise ArticleError(f"line {number}: '{key}' is given twice")
        fields[key] = value
    raise ArticleError("the front matter has no closing '---' line")


def parse_article(text: str) -> Article:
    """One article from its file's text; raises ArticleError naming what is wrong."""
    lines = text.splitlines()
    fields, body_start = _front_matter(lines)
    missing = [name for name in FIELDS if name not in fields and name not in LIST_FIELDS]
    if missing:
        raise ArticleError(f"missing field(s): {', '.join(missing)}")
    scalars = {name: _value(fields[name]) for name in FIELDS if name not in LIST_FIELDS}
    lists = {name: _items(fields.get(name, "")) for name in LIST_FIELDS}
    body = "\n".join(lines[body_start:]).strip() + "\n"
    article = Article(
        id=scalars["id"],
        locale=scalars["locale"],
        title=scalars["title"],
        summary=scalars["summary"],
        body=body,
        topics=lists["topics"],
        keywords=lists["keywords"],
        related=lists["related"],
        links=lists["links"],
    )
    _check(article)
    return article


def _check(article: Article) -> None:
    if not is_article_id(article.id):
        raise ArticleError(f"'{article.id}' is not an article id (lowercase words joined by '-')")
    if article.locale not in LOCALES:
        raise ArticleError(f"'{article.locale}' is not one of {', '.join(LOCALES)}")
    for name in ("title", "summary"):
        if not getattr(article, name):
            raise ArticleError(f"'{name}' is empty")
    if not article.body.strip():
        raise ArticleError("the article has no text")
    if bad := [target for target in article.links if target not in LINK_TARGETS]:
        raise ArticleError(f"unknown link target(s) in 'links': {', '.join(bad)}")
    if bad := [related for related in article.related if not is_article_id(related) or related == article.id]:
        raise ArticleError(f"'related' names {', '.join(bad)}")
    try:
        used = article.link_targets()
        for target in used:
            check_link_target(target)
    except UnknownLinkTarget as error:
        raise ArticleError(str(error)) from None
    screens = {target for target in used if not target.startswith(HELP_PREFIX)}
    if screens != set(article.links):
        raise ArticleError(f"'links' must list the screens the text links to: {', '.join(sorted(screens))}")


@dataclass(frozen=True)
class Library:
    """Every article in every language."""

    articles: dict[tuple[str, str], Article]  # (id, locale) -> article

    def __post_init__(self) -> None:
        ids = frozenset(article_id for article_id, _ in self.articles)
        for article_id in sorted(ids):
            if absent := [locale for locale in LOCALES if (article_id, locale) not in self.articles]:
                raise ArticleError(f"'{article_id}' is missing in {', '.join(absent)}")
        for article in self.articles.values():
            where = f"{article.locale}/{article.id}"
            if unknown := [related for related in article.related if related not in ids]:
                raise ArticleError(f"{where}: related article(s) {', '.join(unknown)} do not exist")
            try:
                for target in article.link_targets():
                    check_link_target(target, ids)
            except UnknownLinkTarget as error:
                raise ArticleError(f"{where}: {error}") from None

    @property
    def ids(self) -> list[str]:
        return sorted({article_id for article_id, _ in self.articles})

    def in_locale(self, locale: str) -> list[Article]:
        """The articles of one language, by id."""
        return [self.articles[article_id, locale] for article_id in self.ids if (article_id, locale) in self.articles]

    def find(self, article_id: str, locale: str) -> Article | None:
        return self.articles.get((article_id, locale))

    def get(self, article_id: str, locale: str) -> Article:
        found = self.find(article_id, locale)
        if found is None:
            raise ArticleNotFound(id=article_id)
        return found

    def related(self, article: Article) -> list[Article]:
        """The article's Recommended documents, in its language."""
        return [self.get(related, article.locale) for related in article.related]


def load_articles(directory: Path = ARTICLES) -> Library:
    """Read and check every `<locale>/<id>.md` under `directory`."""
    articles: dict[tuple[str, str], Article] = {}
    for path in sorted(directory.glob("*/*.md")):
        try:
            article = parse_article(path.read_text(encoding="utf-8"))
        except ArticleError as error:
            raise ArticleError(f"{path}: {error}") from None
        if (article.locale, article.id) != (path.parent.name, path.stem):
            raise ArticleError(f"{path}: holds '{article.locale}/{article.id}', not '{path.parent.name}/{path.stem}'")
        articles[article.id, article.locale] = article
    if not articles:
        raise ArticleError(f"no articles under {directory}")
    return Library(articles)


@cache
def library() -> Library:
    """The articles shipped with Settle, loaded at first use."""
    return load_articles()
