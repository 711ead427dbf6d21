"""Problems as users write them (tests/help/queries.tsv: typos, no accents, short and long, in
English, Dutch and Danish): the right article comes first for at least 90% of them and in the top
three for every one. Run with -s to see the figures."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from settle.accounts.model import LOCALES
from settle.help.matcher import recommend
from settle.help.service import get_article

QUERIES = Path(__file__).with_name("queries.tsv")


def _labelled() -> list[tuple[str, str, str]]:
    rows = []
    for number, line in enumerate(QUERIES.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        query, article, locale = line.split("\t")
        assert locale in LOCALES, f"line {number}: {locale}"
        get_article(article, locale)  # the label names an article that exists
        rows.append((query, article, locale))
    return rows


def test_the_query_set_has_at_least_twenty_problems_in_each_language() -> None:
    per_language = Counter(locale for _, _, locale in _labelled())
    assert all(per_language[locale] >= 20 for locale in LOCALES), per_language


def test_the_right_article_ranks_first_for_nine_in_ten_problems_and_in_the_top_three_for_all() -> None:
    rows = _labelled()
    first, top3, language, misses = 0, 0, 0, []
    for query, expected, locale in rows:
        found = recommend(query)  # no portal language: the text alone must tell
        ranked = [article.id for article in found.ranked]
        first += bool(found.best and found.best.id == expected)
        top3 += expected in ranked[:3]
        language += found.locale == locale
        if ranked[:1] != [expected] or found.locale != locale:
            misses.append(f"{query!r}: expected {expected} ({locale}), got {ranked[:3]} ({found.locale})")
    print(f"top1={first / len(rows):.1%} top3={top3 / len(rows):.1%} language={language / len(rows):.1%} n={len(rows)}")
    print("\n".join(misses))
    assert first / len(rows) >= 0.9, misses
    assert top3 == len(rows), misses
    assert language / len(rows) >= 0.95, misses


@pytest.mark.parametrize("portal", LOCALES)
def test_the_language_of_the_text_wins_over_the_language_of_the_portal(portal: str) -> None:
    rows = [(query, locale) for query, _, locale in _labelled() if locale != portal]
    wrong = [query for query, locale in rows if recommend(query, locale=portal).locale != locale]
    assert len(wrong) / len(rows) <= 0.05, wrong
