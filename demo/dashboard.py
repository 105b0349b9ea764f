"""The demo's texts in the language chosen with ``--language``: dashboard titles, tariff names.

demo/config/dashboards/lowi3.yaml is written in English; for French, Dutch or German its titles,
headings and card names are replaced by the ones below (the words the integration's own
translations use), and the Energy dashboard's two grid sources are named in the same language.
"""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any, Final

import yaml

LANGUAGES: Final = ("en", "fr", "nl", "de")
TRANSLATED_KEYS: Final = frozenset({"title", "heading", "name"})

# English text -> (French, Dutch, German).
TEXTS: Final[dict[str, tuple[str, str, str]]] = {
    "LoWi3": ("LoWi3", "LoWi3", "LoWi3"),
    "Power right now": ("Puissance en ce moment", "Vermogen nu", "Leistung jetzt"),
    "Imported": ("Prélevée", "Afname", "Bezug"),
    "Exported": ("Injectée", "Injectie", "Einspeisung"),
    "Net (negative while exporting)": (
        "Nette (négative quand vous injectez)",
        "Netto (negatief bij injectie)",
        "Netto (negativ bei Einspeisung)",
    ),
    "Net": ("Nette", "Netto", "Netto"),
    "Tariff": ("Tarif", "Tarief", "Tarif"),
    "Meter indexes": ("Index du compteur", "Meterstanden", "Zählerstände"),
    "Import, day": ("Prélèvement, jour", "Afname, dag", "Bezug, Tag"),
    "Import, night": ("Prélèvement, nuit", "Afname, nacht", "Bezug, Nacht"),
    "Export, day": ("Injection, jour", "Injectie, dag", "Einspeisung, Tag"),
    "Export, night": ("Injection, nuit", "Injectie, nacht", "Einspeisung, Nacht"),
    "Import, total": ("Prélèvement, total", "Afname, totaal", "Bezug, gesamt"),
    "Export, total": ("Injection, total", "Injectie, totaal", "Einspeisung, gesamt"),
    "Net index": ("Index net", "Meterstand netto", "Zählerstand netto"),
    "Gas": ("Gaz", "Gas", "Gas"),
    "Water": ("Eau", "Water", "Wasser"),
    "Recent history": ("Historique récent", "Recente geschiedenis", "Letzter Verlauf"),
    "Power, last 6 hours": (
        "Puissance, 6 dernières heures",
        "Vermogen, laatste 6 uur",
        "Leistung, letzte 6 Stunden",
    ),
    "Daily import and export": (
        "Prélèvement et injection par jour",
        "Afname en injectie per dag",
        "Bezug und Einspeisung pro Tag",
    ),
    "Channels of the dongle": ("Canaux du dongle", "Kanalen van de dongle", "Kanäle des Dongles"),
    "Heat pump (CH1)": ("Pompe à chaleur (CH1)", "Warmtepomp (CH1)", "Wärmepumpe (CH1)"),
    "Solar panels (CH2)": ("Panneaux solaires (CH2)", "Zonnepanelen (CH2)", "Solarmodule (CH2)"),
    "Heat pump, index": (
        "Pompe à chaleur, index",
        "Warmtepomp, meterstand",
        "Wärmepumpe, Zählerstand",
    ),
    "Solar panels, production index": (
        "Panneaux solaires, index de production",
        "Zonnepanelen, productiemeterstand",
        "Solarmodule, Erzeugungszählerstand",
    ),
    "Heat pump and solar panels, last 2 hours": (
        "Pompe à chaleur et panneaux solaires, 2 dernières heures",
        "Warmtepomp en zonnepanelen, laatste 2 uur",
        "Wärmepumpe und Solarmodule, letzte 2 Stunden",
    ),
    "Heat pump": ("Pompe à chaleur", "Warmtepomp", "Wärmepumpe"),
    "Solar panels": ("Panneaux solaires", "Zonnepanelen", "Solarmodule"),
    "Imported from the grid": (
        "Prélevé du réseau",
        "Afgenomen van het net",
        "Aus dem Netz bezogen",
    ),
    "Capacity tariff": ("Tarif capacitaire", "Capaciteitstarief", "Kapazitätstarif"),
    "This quarter-hour, projected": (
        "Ce quart d'heure, prévu",
        "Dit kwartier, verwacht",
        "Diese Viertelstunde, Prognose",
    ),
    "Peak warning": ("Alerte de pointe", "Piekwaarschuwing", "Spitzenwarnung"),
    "This quarter-hour so far": (
        "Ce quart d'heure jusqu'ici",
        "Dit kwartier tot nu",
        "Diese Viertelstunde bisher",
    ),
    "Month peak": ("Pointe du mois", "Maandpiek", "Monatsspitze"),
    "Billed power (12-month mean)": (
        "Puissance facturée (moyenne sur 12 mois)",
        "Gefactureerd vermogen (12-maandsgemiddelde)",
        "Abgerechnete Leistung (12-Monats-Mittel)",
    ),
    "Capacity tariff per month": (
        "Tarif capacitaire par mois",
        "Capaciteitstarief per maand",
        "Kapazitätstarif pro Monat",
    ),
    "Quarter-hour power, last 6 hours": (
        "Puissance du quart d'heure, 6 dernières heures",
        "Kwartiervermogen, laatste 6 uur",
        "Viertelstunden-Leistung, letzte 6 Stunden",
    ),
    "Day tariff": ("Tarif jour", "Dagtarief", "Tagtarif"),
    "Grid": ("Réseau", "Net", "Netz"),
    "Net metering since the yearly reading": (
        "Compensation depuis le relevé annuel",
        "Compensatie sinds de jaarlijkse meteropname",
        "Kompensation seit der Jahresablesung",
    ),
    "Balance since the reading": (
        "Solde depuis le relevé",
        "Saldo sinds de opname",
        "Saldo seit der Ablesung",
    ),
    "Expected at the next reading": (
        "Prévu au prochain relevé",
        "Verwacht bij de volgende opname",
        "Erwartet bei der nächsten Ablesung",
    ),
    "Billed if the year ended now": (
        "Facturé si l'année s'arrêtait maintenant",
        "Gefactureerd als het jaar nu eindigde",
        "Abgerechnet, wenn das Jahr jetzt endete",
    ),
    "Surplus that would be lost": (
        "Surplus qui serait perdu",
        "Overschot dat verloren zou gaan",
        "Überschuss, der verfallen würde",
    ),
    "Cost so far": ("Coût jusqu'ici", "Kosten tot nu", "Kosten bisher"),
    "Days to the next reading": (
        "Jours jusqu'au prochain relevé",
        "Dagen tot de volgende meteropname",
        "Tage bis zur nächsten Ablesung",
    ),
    "Night tariff": ("Tarif nuit", "Nachttarief", "Nachttarif"),
}


def text(english: str, language: str) -> str:
    """Return one of the demo's texts in `language`; KeyError when it has no translation."""
    if language == "en":
        return english
    return TEXTS[english][LANGUAGES.index(language) - 1]


def translate(node: Any, language: str) -> Any:
    """Return a dashboard's configuration with its titles, headings and names translated."""
    if isinstance(node, dict):
        return {
            key: text(value, language)
            if key in TRANSLATED_KEYS and isinstance(value, str)
            else translate(value, language)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [translate(item, language) for item in node]
    return node


def write_dashboard(source: Path, target: Path, language: str) -> None:
    """Copy a YAML dashboard, translated into `language` (English: as it is, comments included)."""
    if language == "en":
        shutil.copyfile(source, target)
        return
    config = translate(yaml.safe_load(source.read_text(encoding="utf-8")), language)
    target.write_text(
        f"# {source.name}, translated by demo/dashboard.py ({language}).\n"
        + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
