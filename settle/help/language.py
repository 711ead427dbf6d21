"""How the help matcher reads text in English, Dutch and Danish: accents folded (people type
"maned" for "måned"), words split, stopwords dropped, Snowball stems, and synonyms and common
misspellings turned into one concept across the three languages ("factuur", "faktura", "bill" and
"invoice" are all `@invoice`), so that a word of any of them finds the articles of each."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

import snowballstemmer  # type: ignore[import-untyped]

from settle.accounts.model import LOCALES

_STEMMER_NAMES = {"en": "english", "nl": "dutch", "da": "danish"}
_stemmers = {locale: snowballstemmer.stemmer(name) for locale, name in _STEMMER_NAMES.items()}
_stemming = threading.Lock()  # a Snowball stemmer keeps its state on itself while it works

_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "’": "'"})
_WORD = re.compile(r"[a-z0-9]+")
_JOINED = re.compile(r"\b([a-z0-9])[-.]([a-z0-9])")  # 3-D, e-mail: one word
# Danes without a Danish keyboard write å as "aa" and ø as "oe"; folded the same on both sides.
_DANISH_DIGRAPHS = (("aa", "a"), ("oe", "o"))
# Names whose words would otherwise match everyday words ("online", "services"): one word each.
_NAMES = {"microsoft online services program": "mosp"}

# Snowball's stopword lists, less the words that tell a problem apart ("who", "wie", "hvem"), plus
# what people add around a problem that says nothing about it: greetings and thanks, "find",
# "need", "try", "last month", "as soon as possible".
STOPWORDS = {
    "en": """a about above after again against all also am an and any are as asap at be because been
        before being below between both but by can cannot cant could did didnt do does doesnt doing don
        dont down during each few find for from further get gets getting got had hadnt has hasnt have
        havent having he hello her here hers herself hey hi him himself his how i if im in into is isnt it
        its itself ive just know last latest me more most my myself need needs next no nor not now of off
        on once only or other our ours ourselves out over own please possible previous same see she should
        so some soon still such than thank thanks that the their theirs them themselves then there these
        they this those through to too trying under until up us very via want wanted was wasnt we were what
        when where which while why will with wont would you your yours yourself""",
    "nl": """aan al alle alles alleen als altijd alvast andere bedankt ben bij dag daar dan dat de der deze
        die dit doch doe doen door dus een eens en er eerste even gaat ge geen gekregen geweest goedemiddag
        goedemorgen graag haar had hallo heb hebben hebt heeft hem het hier hij hoe hoi hun iemand iets ik
        in is ja je jij kan krijg krijgen kon kun kunnen kunt laatste maar me meer men met mij mijn mogelijk
        moet moeten na naar niet niets nodig nog nou nu of om omdat ons onze ook op over reeds snel te tegen
        toch toen tot u uit uw van veel via vinden volgende voor vorige waar waarom want waren was wat we weet
        weten wel welk welke werd wezen wij wil willen word worden wordt zal ze zelf zich zie zien zij
        zijn zo zonder zou""",
    "da": """ad af alle allerede alt anden at blev blive bliver da de dem den denne der deres det dette dig
        din dine disse dit dog du efter eller en end er et faa fik finde finder for forrige fra gerne godt
        goddag gor gore gjort hallo ham han hans har have havde hej hende hendes her hos hun hurtigt
        hurtigst hvad hvilke hvilken hvis hvor hvordan hvorfor i ikke ind jeg jer jo kan kunne man mange med
        meget men mig min mine mit mod muligt naeste nar ned noget nogle nu og ogsa om op os over pa samme
        sadan se selv sidste sig sin sine sit skal skulle som stadig tak thi til ud under var vaere vaeret
        ved vi via vide vil ville vor vores""",
}

# Concepts: the words of each language that mean the same thing to the matcher, with common
# misspellings. Both the articles and the problem go through this table.
SYNONYMS: dict[str, dict[str, str]] = {
    "@invoice": {
        "en": "invoice invoices invoce invoise invioce bill bills",
        "nl": "factuur facturen factuurtje faktuur rekening rekeningen",
        "da": "faktura fakturaer fakturaen fakturaerne regning regningen regninger",
    },
    "@billing": {"en": "billing", "nl": "facturering", "da": "fakturering"},
    "@pay": {
        "en": "pay paying pays payment payments",
        "nl": "betalen betaal betaling betalingen",
        "da": "betale betal betaler betaling betalingen betalinger",
    },
    "@paid": {"en": "paid", "nl": "betaald", "da": "betalt"},
    "@card": {
        "en": "card cards creditcard credit visa mastercard amex debit",
        "nl": "kaart kaarten creditcard creditcards betaalkaart",
        "da": "kort kortet kreditkort kreditkortet betalingskort visakort dankort",
    },
    "@paymethod": {
        "en": "paymentmethod",
        "nl": "betalingswijze betalingswijzen betaalwijze betaalmethode betaalmethodes betalingsmethode",
        "da": "betalingsmetode betalingsmetoden betalingsmetoder betalingsmiddel",
    },
    "@transfer": {
        "en": "transfer transfers transferred wire",
        "nl": "overschrijving overschrijven overmaken overgemaakt overboeking overboeken bankoverschrijving",
        "da": "overførsel overførslen overføre overført bankoverførsel",
    },
    "@decline": {
        "en": "declined decline declines rejected reject refused denied",
        "nl": "geweigerd weigert weigeren afgewezen afgekeurd",
        "da": "afvist afviser afvise afvisning",
    },
    "@expire": {"en": "expired expire expires", "nl": "verlopen verloopt vervallen", "da": "udløbet udløber"},
    "@fail": {"en": "failed fails fail failure", "nl": "mislukt mislukte mislukken", "da": "mislykkedes mislykket"},
    "@funds": {"en": "funds balance", "nl": "saldo", "da": "dækning"},
    "@insufficient": {"en": "insufficient", "nl": "onvoldoende", "da": "utilstrækkelig"},
    "@verify": {
        "en": "3d 3ds verification verify authentication authenticate",
        "nl": "verificatie verifiëren",
        "da": "godkendelse godkende verificering verifikation mitid",
    },
    "@change": {
        "en": "change changing update switch",
        "nl": "wijzigen wijzig veranderen aanpassen",
        "da": "skift skifte ændre ændr opdater opdatere",
    },
    "@replace": {"en": "replace", "nl": "vervangen vervang", "da": "erstat erstatte"},
    "@remove": {"en": "remove delete", "nl": "verwijderen verwijder", "da": "fjern fjerne slet slette"},
    "@add": {"en": "add", "nl": "toevoegen toevoeg", "da": "tilføj tilføje"},
    "@default": {"en": "default", "nl": "standaard", "da": "standard standarden"},
    "@who": {"en": "who", "nl": "wie", "da": "hvem"},
    "@role": {"en": "role roles", "nl": "rol rollen", "da": "rolle roller"},
    "@access": {
        "en": "access permission permissions rights allowed",
        "nl": "toegang rechten machtiging bevoegdheid",
        "da": "adgang tilladelse rettigheder",
    },
    "@owner": {"en": "owner owners", "nl": "eigenaar eigenaren", "da": "ejer ejere"},
    "@admin": {"en": "administrator admin", "nl": "beheerder", "da": "administrator administratoren"},
    "@colleague": {"en": "colleague colleagues coworker", "nl": "collega collegas", "da": "kollega kollegaen"},
    "@download": {"en": "download downloading", "nl": "downloaden download", "da": "download downloade hent hente"},
    "@copy": {"en": "copy", "nl": "kopie", "da": "kopi"},
    "@language": {"en": "language", "nl": "taal", "da": "sprog"},
    "@english": {"en": "english", "nl": "engels", "da": "engelsk"},
    "@dutch": {"en": "dutch", "nl": "nederlands", "da": "nederlandsk hollandsk"},
    "@danish": {"en": "danish", "nl": "deens", "da": "dansk"},
    "@type": {"en": "type kind", "nl": "type soort", "da": "type slags"},
    "@agreement": {"en": "agreement contract", "nl": "overeenkomst contract", "da": "aftale aftalen kontrakt"},
    "@overdue": {"en": "overdue late", "nl": "achterstallig", "da": "forfalden"},
    "@partial": {"en": "partially partial", "nl": "gedeeltelijk gedeeltelijke deels", "da": "delvist delvis"},
    "@processing": {"en": "processing pending", "nl": "verwerkt verwerking", "da": "behandles behandling"},
    "@receipt": {"en": "receipt reciept recipt", "nl": "ontvangstbewijs", "da": "kvittering"},
    "@button": {"en": "button link", "nl": "knop", "da": "knap knappen"},
    "@missing": {"en": "missing", "nl": "ontbreekt", "da": "mangler"},
    "@month": {"en": "month monthly", "nl": "maand maandelijks", "da": "måned"},
    "@properties": {"en": "properties", "nl": "eigenschappen", "da": "egenskaber"},
    "@reminder": {"en": "reminder", "nl": "herinnering aanmaning", "da": "påmindelse rykker"},
    "@error": {"en": "error", "nl": "fout foutmelding", "da": "fejl"},
    "@stuck": {"en": "stuck hangs hanging", "nl": "hangen hangt vastgelopen", "da": "hænger hænge"},
    "@paynow": {"en": "paynow"},
    "@billingaccount": {"nl": "factureringsaccount", "da": "faktureringskonto faktureringskontoen"},
    "@billingprofile": {
        "nl": "factureringsprofiel factureringsprofielen",
        "da": "faktureringsprofil faktureringsprofilen",
    },
}
# Two words that together mean one concept; the single words count too.
PHRASES: dict[str, tuple[str, ...]] = {
    "@paynow": ("pay now", "nu betalen", "betal nu"),
    "@paymethod": ("payment method", "payment methods"),
    "@overdue": ("past due", "te laat", "for sent"),
    "@billingaccount": ("billing account",),
    "@billingprofile": ("billing profile",),
}


def fold(text: str, locale: str) -> str:
    """Lowercase without accents, the way people type without a Danish or Dutch keyboard."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_LETTERS))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _fold_digraphs(text) if locale == "da" else text


def _fold_digraphs(text: str) -> str:
    for digraph, letter in _DANISH_DIGRAPHS:
        text = text.replace(digraph, letter)
    return text


def words(text: str, locale: str) -> list[str]:
    """The folded words of `text`, as `locale` folds them: the same words, one for one, in every
    locale (the split is made before Danish digraphs are folded)."""
    folded = " ".join(fold(text, "").split())
    for name, word in _NAMES.items():
        folded = folded.replace(name, word)
    found = _WORD.findall(_JOINED.sub(r"\1\2", folded))
    return [_fold_digraphs(word) for word in found] if locale == "da" else found


@lru_cache(maxsize=65536)
def stem(word: str, locale: str) -> str:
    with _stemming:
        return str(_stemmers[locale].stemWord(word))


class Language:
    """The reading rules of one locale: its stopwords and how a word becomes a term."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.stopwords = frozenset(words(STOPWORDS[locale], locale))
        self.synonyms: dict[str, str] = {}  # folded word -> concept, from every language
        self.lexicon: set[str] = set(self.stopwords)  # words known to be of this language
        for concept, by_locale in SYNONYMS.items():
            for written_in, listed in by_locale.items():
                for word in words(listed, locale):
                    self.synonyms.setdefault(word, concept)
                    if written_in == locale:
                        self.lexicon.add(word)
        self.stemmed: dict[str, str] = {}  # a stem of a concept's word -> the concept, unless two claim it
        ambiguous = set()
        for word, concept in self.synonyms.items():
            if self.stemmed.setdefault(stem(word, locale), concept) != concept:
                ambiguous.add(stem(word, locale))  # "billing" and "bill" both stem to "bill" in English
        for stemmed in ambiguous:
            del self.stemmed[stemmed]
        self.phrases = {tuple(words(p, locale)): concept for concept, ps in PHRASES.items() for p in ps}

    def term(self, word: str) -> str:
        """The concept of a word, else its stem."""
        if word in self.synonyms:
            return self.synonyms[word]
        stemmed = stem(word, self.locale)
        return self.stemmed.get(stemmed, stemmed)

    def content_words(self, folded: list[str]) -> list[str]:
        return [word for word in folded if word not in self.stopwords and (len(word) > 1 or word.isdigit())]

    def phrase_terms(self, folded: list[str]) -> list[str]:
        return [self.phrases[pair] for pair in pairwise(folded) if pair in self.phrases]

    def terms(self, text: str) -> list[str]:
        """Every term of `text`: its words' terms, then the concepts of its two-word phrases."""
        folded = words(text, self.locale)
        return [self.term(word) for word in self.content_words(folded)] + self.phrase_terms(folded)


def languages() -> dict[str, Language]:
    return {locale: Language(locale) for locale in LOCALES}


def synonym_conflicts() -> list[tuple[str, str, str]]:
    """(word, concept, other concept) for each word that two concepts claim, in any locale's folding."""
    conflicts = []
    for locale in LOCALES:
        seen: dict[str, str] = {}
        for concept, by_locale in SYNONYMS.items():
            for word in _all_words(by_locale.values(), locale):
                if seen.setdefault(word, concept) != concept:
                    conflicts.append((word, seen[word], concept))
    return conflicts


def _all_words(texts: Iterable[str], locale: str) -> set[str]:
    return {word for text in texts for word in words(text, locale)}
