"""The matcher: which article answers a problem described in the user's own words.

The language is told from the text itself (stopwords, words of each language's articles, Danish
letters); the user's portal language only breaks a tie. Each language has its own index of its
articles. A word the index does not know is tried as a one-typo misspelling of a word it does
know, then as a compound whose last part it knows ("firmakort" → "kort"). Articles are ranked by
BM25 over their fields, the title and keywords weighing more than the text (BM25F)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from settle.accounts.model import LOCALES
from settle.help.articles import Library, library
from settle.help.language import Language, languages, words
from settle.help.model import Article, Recommendation

K1 = 1.2
# (weight, length normalisation) of each field of an article.
FIELDS = {"title": (3.0, 0.5), "keywords": (2.5, 0.5), "summary": (1.5, 0.5), "body": (1.0, 0.75)}
# A handful of articles is too few for BM25's idf to tell common words apart: "pay" is in every
# article and would weigh nothing, though its place (the title of one, the text of others) tells.
MIN_IDF = 0.5
# BM25 saturates: a word the text says five times outweighs the same word once in the title. The
# share of the problem's words (by idf) that the title holds is added on top, times this.
TITLE_BONUS = 2.0
MIN_SCORE = 1.0  # below this, nothing matched well enough to recommend
FUZZY_WEIGHT = 0.8
COMPOUND_WEIGHT = 0.6
MIN_FUZZY_LENGTH = 5
MIN_COMPOUND_LENGTH = 8
MAX_PROBLEM_LENGTH = 2000
ALTERNATIVES = 2
_DANISH_LETTERS = re.compile(r"[æøå]", re.IGNORECASE)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbouring letters (optimal string alignment)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    if len(a) < len(b):
        return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    if len(differ) == 1:
        return True
    first, last = differ[0], differ[-1]
    return len(differ) == 2 and last == first + 1 and a[first] == b[last] and a[last] == b[first]


class Index:
    """One language's articles, ready to rank: each term's BM25F weight in each article."""

    def __init__(self, language: Language, articles: list[Article]) -> None:
        self.language = language
        self.articles = articles
        fields = [self._fields(article) for article in articles]
        average = {name: sum(len(f[name]) for f in fields) / len(fields) or 1.0 for name in FIELDS}
        frequencies: list[dict[str, float]] = []
        for counted in fields:
            tf: dict[str, float] = defaultdict(float)
            for name, (weight, b) in FIELDS.items():
                norm = 1 - b + b * len(counted[name]) / average[name]
                for term, count in Counter(counted[name]).items():
                    tf[term] += weight * count / norm
            frequencies.append(tf)
        documents = Counter(term for tf in frequencies for term in tf)
        self.idf = {
            term: max(MIN_IDF, math.log(1 + (len(articles) - count + 0.5) / (count + 0.5)))
            for term, count in documents.items()
        }
        impacts: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for position, tf in enumerate(frequencies):
            for term, weight in tf.items():
                impacts[term].append((position, self.idf[term] * weight * (K1 + 1) / (weight + K1)))
        self.impacts = dict(impacts)
        self.titles = [frozenset(counted["title"]) for counted in fields]
        self.vocabulary = {
            word
            for article in articles
            for word in language.content_words(words(_text(article), language.locale))
            if not word.isdigit()
        } | set(language.synonyms)
        self.lexicon = language.lexicon | {w for a in articles for w in words(_text(a), language.locale)}
        self._near: dict[str, set[str]] = defaultdict(set)
        for word in self.vocabulary:
            if len(word) >= MIN_FUZZY_LENGTH - 1:
                for key in _deletions(word) | {word}:
                    self._near[key].add(word)
        self._cache: dict[str, list[tuple[str, float]]] = {}

    def _fields(self, article: Article) -> dict[str, list[str]]:
        terms = self.language.terms
        return {
            "title": terms(article.title),
            "keywords": [term for keyword in article.keywords for term in terms(keyword)],
            "summary": terms(article.summary),
            "body": terms(article.body),
        }

    def knows(self, word: str) -> bool:
        return word in self.language.synonyms or self.language.term(word) in self.impacts

    def query_terms(self, word: str) -> list[tuple[str, float]]:
        """The weighted terms a word of the problem stands for (none: the index cannot place it)."""
        if word not in self._cache:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[word] = self._resolve(word)
        return self._cache[word]

    def _resolve(self, word: str) -> list[tuple[str, float]]:
        if self.knows(word):
            return [(self.language.term(word), 1.0)]
        if len(word) >= MIN_FUZZY_LENGTH and (near := self._misspelt(word)):
            return [(self.language.term(near), FUZZY_WEIGHT)]
        if len(word) >= MIN_COMPOUND_LENGTH:
            return self._compound(word)
        return []

    def _misspelt(self, word: str) -> str | None:
        candidates = {near for key in _deletions(word) | {word} for near in self._near.get(key, ())}
        close = [near for near in candidates if _one_edit_apart(word, near)]
        # Prefer the word in the most articles, then the first in the alphabet (the same answer each time).
        return min(close, key=lambda near: (-self._frequency(near), near), default=None)

    def _frequency(self, word: str) -> int:
        return len(self.impacts.get(self.language.term(word), ()))

    def _compound(self, word: str) -> list[tuple[str, float]]:
        """The longest known last part of a compound, and its first part if that is known too."""
        for split in range(3, len(word) - 3):
            head, tail = word[:split], word[split:]
            if self.knows(tail):
                found = [(self.language.term(tail), COMPOUND_WEIGHT)]
                for first in (head, head[:-1] if head[-1] in "se" else ""):
                    if len(first) >= 3 and self.knows(first):
                        found.append((self.language.term(first), COMPOUND_WEIGHT))
                        break
                return found
        return []

    def rank(self, text: str) -> list[tuple[Article, float]]:
        folded = words(text, self.language.locale)
        weights: dict[str, float] = {}
        for word in self.language.content_words(folded):
            for term, weight in self.query_terms(word):
                weights[term] = max(weights.get(term, 0.0), weight)
        for term in self.language.phrase_terms(folded):
            weights[term] = 1.0
        scores: dict[int, float] = defaultdict(float)
        for term, weight in weights.items():
            for position, impact in self.impacts.get(term, ()):
                scores[position] += weight * impact
        asked = sum(weight * self.idf.get(term, MIN_IDF) for term, weight in weights.items())
        for position in scores:
            in_title = sum(weight * self.idf[term] for term, weight in weights.items() if term in self.titles[position])
            scores[position] += TITLE_BONUS * in_title / asked
        ranked = sorted(scores.items(), key=lambda item: (-item[1], self.articles[item[0]].id))
        return [(self.articles[position], score) for position, score in ranked if score > 0]


def _text(article: Article) -> str:
    return " ".join((article.title, " ".join(article.keywords), article.summary, article.body))


@dataclass(frozen=True)
class _Suggestible:
    article: Article
    title: tuple[str, ...]  # in order: a word typed that starts the title ranks first
    keywords: frozenset[str]

    def rank(self, typed: list[str]) -> tuple[int, int, int, int] | None:
        """How well the typed words fit the title and keywords (lower is better); None: not all fit."""
        if not all(_prefix_of_any(word, self.title) or _prefix_of_any(word, self.keywords) for word in typed):
            return None
        exact = sum(1 for word in typed if word in self.title)
        in_title = sum(1 for word in typed if _prefix_of_any(word, self.title))
        first = next((i for i, word in enumerate(self.title) if word.startswith(typed[0])), len(self.title))
        return -exact, -in_title, first, len(self.article.title)


class Matcher:
    """Every language's index over one library of articles."""

    def __init__(self, articles: Library) -> None:
        self.library = articles
        self.indexes = {locale: Index(language, articles.in_locale(locale)) for locale, language in languages().items()}
        self._suggestible = {
            locale: [
                _Suggestible(a, tuple(words(a.title, locale)), frozenset(words(" ".join(a.keywords), locale)))
                for a in articles.in_locale(locale)
            ]
            for locale in LOCALES
        }

    def detect(self, text: str, portal_locale: str | None = None) -> str:
        """The language `text` is written in; `portal_locale` (else English) wins a tie."""
        scores = dict.fromkeys(LOCALES, 0.0)
        # The same word as each language folds it ("maaned" is "maned" to Danish eyes only).
        for readings in zip(*(words(text, locale) for locale in LOCALES), strict=True):
            word = dict(zip(LOCALES, readings, strict=True))
            known = [locale for locale in LOCALES if word[locale] in self.indexes[locale].lexicon]
            stop = [locale for locale in LOCALES if word[locale] in self.indexes[locale].language.stopwords]
            for found in (known, stop):
                for locale in found:
                    scores[locale] += 1 / len(found)  # a word of two languages counts half for each
            if "ij" in word["nl"]:
                scores["nl"] += 0.5
        scores["da"] += 2 * len(_DANISH_LETTERS.findall(text))
        best = max(scores.values())
        tied = [locale for locale in LOCALES if scores[locale] == best]
        preferred = portal_locale if portal_locale in LOCALES else "en"
        return preferred if preferred in tied or best == 0 else tied[0]

    def recommend(self, problem: str, locale: str | None = None) -> Recommendation:
        """The article that best answers `problem`, two alternatives, and the language it was read in."""
        text = problem[:MAX_PROBLEM_LENGTH]
        detected = self.detect(text, locale)
        for reading in (detected, *(other for other in LOCALES if other != detected)):
            ranked = self.indexes[reading].rank(text)
            if ranked and ranked[0][1] >= MIN_SCORE:
                return self._recommendation(reading, [article for article, _ in ranked])
        return Recommendation(locale=detected, best=None)

    def _recommendation(self, locale: str, ranked: list[Article]) -> Recommendation:
        best = ranked[0]
        alternatives = ranked[1 : 1 + ALTERNATIVES]
        for related in self.library.related(best):  # too few matched: the best one's related articles
            if len(alternatives) < ALTERNATIVES and related not in alternatives:
                alternatives.append(related)
        return Recommendation(locale=locale, best=best, alternatives=tuple(alternatives), ranked=tuple(ranked))

    def suggest(self, text: str, locale: str, limit: int = 5) -> list[Article]:
        """Type-ahead: articles of `locale` whose title or keywords have words starting with each word
        typed, those matching in the title first."""
        typed = words(text, locale)
        if not typed or limit <= 0:
            return []
        ranked = [(rank, entry.article) for entry in self._suggestible.get(locale, ()) if (rank := entry.rank(typed))]
        ranked.sort(key=lambda item: (item[0], item[1].id))
        return [article for _, article in ranked[:limit]]


def _prefix_of_any(prefix: str, candidates: Iterable[str]) -> bool:
    return any(candidate.startswith(prefix) for candidate in candidates)


@cache
def matcher() -> Matcher:
    """The matcher over Settle's own articles, built at first use."""
    return Matcher(library())


def recommend(problem: str, locale: str | None = None) -> Recommendation:
    """The recommended-steps article for a problem in the user's own words (DESIGN §8)."""
    return matcher().recommend(problem, locale)


def suggest(text: str, locale: str, limit: int = 5) -> list[Article]:
    """Articles for the portal's global search as the user types."""
    return matcher().suggest(text, locale, limit)
