"""The app loads one catalogue per package and merges them: the same English message id in two packages
gets the first package's translation everywhere. A word that means different things in two places needs
a context (pgettext) or a distinct message id; this test lists message ids translated differently."""
from collections import defaultdict

from babel.messages.pofile import read_po

from app.core.i18n import DOMAINS_WITH_TRANSLATIONS
from app.core.i18n_tools import TRANSLATED, po_path


def collisions(lang: str) -> dict:
    seen: dict = defaultdict(dict)
    for domain in DOMAINS_WITH_TRANSLATIONS:
        path = po_path(domain, lang)
        if not path.exists():
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            seen[(message.context, message.id)][domain] = message.string
    return {key: by_domain for key, by_domain in seen.items() if len(set(by_domain.values())) > 1}


def describe(found: dict) -> str:
    lines = []
    for (context, msgid), by_domain in sorted(found.items(), key=lambda kv: str(kv[0])):
        label = f"{context}|{msgid}" if context else msgid
        lines.append(f"{label!r}: " + "; ".join(f"{d}={t!r}" for d, t in by_domain.items()))
    return "\n".join(lines)


def test_no_message_id_has_two_translations():
    for lang in TRANSLATED:
        found = collisions(lang)
        assert not found, f"{lang}: {len(found)} message ids translated differently by package " \
                          f"(use pgettext or distinct ids):\n{describe(found)}"
