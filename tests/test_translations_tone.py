"""German and Dutch texts address the user informally, as Home Assistant's own do.

Home Assistant's German texts say "du" (dein, dir, dich; "Gib … ein", "Prüfe …") and its Dutch
texts say "je" (jouw, jij; "Vul … in", "Controleer …"). A formal "Sie"/"Ihr" or "u"/"uw" mixed in
reads as two authors, so every German and Dutch text the user can see is checked: the
integration's translations, the export's file and notification labels and the demo dashboard's
titles.

German: "Sie", "Ihr", "Ihre", "Ihren", "Ihrem", "Ihrer", "Ihres" and "Ihnen" are capitalised
in the middle of a sentence only as the formal address (the third-person "sie"/"ihr" is lower
case there). At the start of a sentence "Sie" is also "she", "it" or "they": "Sie gilt bis
2030" (the compensation) is third person, and is accepted, because a verb ending in -t is
singular and cannot go with the formal "Sie". With a verb in the plural ("Sie können", "Sie
sind") the sentence reads as the formal address whatever its author meant, so it is refused and
the sentence is turned round ("So werden sie verwendet"). A sentence-initial "Ihr …"/"Ihnen"
is refused for the same reason ("Deren Geräte" says "their devices" without doubt).

Dutch: "u", "uw", "uwe" and "uzelf" are only the formal address. A capital "U" is also the
voltage field of the dongle's payload, so it counts as the pronoun only when a word follows it
("U kunt …"); code spans and placeholders are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re

import pytest

from custom_components.lowi_ores.const import DOMAIN
from custom_components.lowi_ores.export.labels import LABELS
from demo.dashboard import TEXTS as DEMO_TEXTS

from .conftest import flatten_texts

TRANSLATIONS = Path(__file__).parent.parent / "custom_components" / DOMAIN / "translations"

GERMAN_FORMAL = re.compile(r"\b(?:Sie|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres|Ihnen)\b")
# What may come before a word that starts a sentence (or a clause written as a sentence).
SENTENCE_END = re.compile(r"(?:\A|[.!?:;\n„“\"(])\s*\Z")
NEXT_WORD = re.compile(r"\s+(\w+)")
DUTCH_FORMAL = re.compile(r"\b(?:[uU]w|[uU]we|[uU]zelf|u)\b|\bU(?=\s+[a-zà-ÿ]{2,})")
CODE_OR_PLACEHOLDER = re.compile(r"`[^`]*`|\{[^{}]*\}")


def _formal_german(text: str) -> Iterator[str]:
    """Yield each formal address in a German text, with the word after it."""
    text = CODE_OR_PLACEHOLDER.sub(" ", text)
    for match in GERMAN_FORMAL.finditer(text):
        after = NEXT_WORD.match(text, match.end())
        next_word = after.group(1) if after else ""
        found = f"{match.group()} {next_word}".strip()
        if not SENTENCE_END.search(text[: match.start()]):
            yield found  # capitalised mid-sentence: only the formal address
        elif match.group() != "Sie" or next_word == "sind" or next_word.endswith("en"):
            yield found  # reads as the formal address at a sentence start


def _formal_dutch(text: str) -> Iterator[str]:
    """Yield each formal address in a Dutch text."""
    for match in DUTCH_FORMAL.finditer(CODE_OR_PLACEHOLDER.sub(" ", text)):
        yield match.group()


FORMAL = {"de": _formal_german, "nl": _formal_dutch}


def _texts(language: str) -> dict[str, str]:
    """Every text in a language the user can read: translations, export labels, demo titles."""
    translations = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    texts = {f"translations.{key}": text for key, text in flatten_texts(translations).items()}
    texts |= {f"export.{key}": text for key, text in LABELS[language].items()}
    column = {"nl": 1, "de": 2}[language]
    texts |= {f"demo.{english}": words[column] for english, words in DEMO_TEXTS.items()}
    return texts


@pytest.mark.parametrize("language", sorted(FORMAL))
def test_informal_address(language: str) -> None:
    """No German or Dutch text addresses the user formally."""
    texts = _texts(language)
    assert len(texts) > 300  # the translations are read, not an empty file
    formal = FORMAL[language]
    found = {key: hits for key, text in texts.items() if (hits := list(formal(text)))}
    assert found == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Was möchten Sie ändern?", ["Sie ändern"]),
        ("Die Region der Adresse auf Ihrer Stromrechnung.", ["Ihrer Stromrechnung"]),
        ("Geben Sie 0 oder eine ganze Zahl ein.", ["Sie 0"]),
        (
            "Sie können trotzdem Ihre Viertelstunden-Spitzen verfolgen.",
            ["Sie können", "Ihre Viertelstunden"],
        ),
        ("MwSt. inbegriffen: Sie werden so verwendet.", ["Sie werden"]),
        ("Prüfen Sie den Sensor {entity}.", ["Sie den"]),
        ("Ihr Stromvertrag", ["Ihr Stromvertrag"]),
        ("Kein Wert. Sie sind leer.", ["Sie sind"]),
        # Third person: accepted.
        ("Ein Überschuss verfällt. Sie gilt bis 2030, wenn deine Anlage klein ist.", []),
        ("Die Spitzen, wie sie in Flandern abgerechnet werden, und ihre Mittelwerte.", []),
        ("Gib die Preise ein: So werden sie verwendet. Möchtest du sie ändern?", []),
        ("Der Wert `Sie` kommt vom Zähler.", []),
    ],
)
def test_german_rule(text: str, expected: list[str]) -> None:
    """The German rule finds the formal address and lets the third person through."""
    assert list(_formal_german(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wat wilt u wijzigen?", ["u"]),
        ("U kunt wel uw kwartierpieken volgen.", ["U", "uw"]),
        ("Het gewest van het adres op Uw factuur.", ["Uw"]),
        ("Vul het zelf in, of laat uzelf verrassen.", ["uzelf"]),
        # Informal, the voltage field, a placeholder and words holding a u: accepted.
        ("Wil je hem toevoegen? Controleer je contract en jouw sensor.", []),
        ("Spanning (U) maal stroom: U x I ligt het dichtst bij `U`.", []),
        ("De uurwaarde van {u} en de uitvoer, per kwartier.", []),
    ],
)
def test_dutch_rule(text: str, expected: list[str]) -> None:
    """The Dutch rule finds u/uw and leaves the voltage U and je/jouw alone."""
    assert list(_formal_dutch(text)) == expected
