"""Language conventions in one place: times, dates, relative times, money, names and Korean particles.

Every page and every email formats through these functions (templates through the filters registered
in app.core.web), so a Korean operator reads one style everywhere:

- time of day: Korean "오후 3:05" (CLDR's short Korean time says "PM 3:05"), Japanese 24 h "15:05",
  English "3:05 PM";
- dates: Korean "2026년 12월 29일 (화)", Japanese "2026年12月29日(火)", English "Tue, Dec 29, 2026"
  (never ISO, never "2026. 12. 29.."); a moment is the date followed by the time of day;
- relative times through Babel: "2분 전", "2 分前", "2 minutes ago";
- names in each language's order: family name first in Korean ("오지현 님", no space between Hangul
  family and given names) and Japanese ("山田 花子 様"), given name first in English;
- Korean particles chosen by the final sound of the word before them: josa("₩300,000", "을/를") →
  "₩300,000을" (삼십만 ends in ㄴ), josa("카드", "으로/로") → "카드로".

Functions take `lang`/`tz` explicitly for emails and background jobs; without them they use the
request's language and time zone (Flask-Babel).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import format_timedelta as _babel_timedelta

from app.core.money import format_money

LANGUAGES = ("ko", "ja", "en")

#: Time of day per language (Babel/CLDR patterns). Japanese: 24 h, as Japanese business pages write it.
TIME_PATTERNS = {"ko": "aaaa h:mm", "ja": "H:mm", "en": "h:mm a"}
TIME_PATTERNS_SECONDS = {"ko": "aaaa h:mm:ss", "ja": "H:mm:ss", "en": "h:mm:ss a"}
#: The one date style per language (with and without the weekday).
DATE_PATTERNS = {"ko": "y년 M월 d일 (E)", "ja": "y年M月d日(E)", "en": "EEE, MMM d, y"}
DATE_PATTERNS_PLAIN = {"ko": "y년 M월 d일", "ja": "y年M月d日", "en": "MMM d, y"}
#: Month and day only (this year's dates in dense tables).
SHORT_DATE_PATTERNS = {"ko": "M월 d일 (E)", "ja": "M月d日(E)", "en": "EEE, MMM d"}


# --- language and zone ----------------------------------------------------------------------------

def current_lang(lang: str | None = None) -> str:
    """`lang` if given, else the request's language (Korean outside a request)."""
    if lang:
        lang = str(lang).split("_")[0].split("-")[0]
        return lang if lang in LANGUAGES else "en"
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # no application context
        locale = None
    language = getattr(locale, "language", None) or "ko"
    return language if language in LANGUAGES else "en"


def current_tz(tz: str | None = None):
    if tz:
        return ZoneInfo(tz)
    try:
        from flask_babel import get_timezone

        zone = get_timezone()
        if zone is not None:
            return zone
    except Exception:
        pass
    try:
        from flask import current_app

        return ZoneInfo(current_app.config["FRONTDESK_TIMEZONE"])
    except Exception:
        return ZoneInfo("Asia/Seoul")


def _local(value: datetime, tz: str | None) -> datetime:
    if value.tzinfo is None:   # stored moments are naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(current_tz(tz))


# --- times and dates ------------------------------------------------------------------------------

def time_of_day(value: datetime | time | None, lang: str | None = None, tz: str | None = None,
                seconds: bool = False) -> str:
    """"오후 3:05" / "15:05" / "3:05 PM" in the operator's (or the given) zone."""
    if value is None:
        return ""
    lang = current_lang(lang)
    if isinstance(value, datetime):
        value = _local(value, tz).time()
    pattern = (TIME_PATTERNS_SECONDS if seconds else TIME_PATTERNS)[lang]
    return _babel_time(value, pattern, locale=lang)


def day(value: date | datetime | str | None, lang: str | None = None, tz: str | None = None,
        weekday: bool = True, year: bool = True) -> str:
    """"2026년 12월 29일 (화)" / "2026年12月29日(火)" / "Tue, Dec 29, 2026". Accepts ISO strings
    (dates kept in JSON); anything unreadable is shown as it came."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value.strip() \
                else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _local(value, tz).date()
    lang = current_lang(lang)
    if not year:
        pattern = SHORT_DATE_PATTERNS[lang]
    else:
        pattern = (DATE_PATTERNS if weekday else DATE_PATTERNS_PLAIN)[lang]
    return _babel_date(value, pattern, locale=lang)


def moment(value: datetime | str | None, lang: str | None = None, tz: str | None = None,
           weekday: bool = True, seconds: bool = False) -> str:
    """A date and a time of day: "2026년 12월 29일 (화) 오후 3:05". Accepts ISO strings."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return day(value, lang, tz, weekday)
    lang = current_lang(lang)
    the_day = day(value, lang, tz, weekday)
    the_time = time_of_day(value, lang, tz, seconds)
    return f"{the_day} {the_time}"


def ago(value: datetime | None, now: datetime | None = None, lang: str | None = None) -> str:
    """"2분 전" / "2 分前" / "2 minutes ago" (Babel's format_timedelta); "방금" under a minute."""
    if value is None:
        return ""
    from app.core import clock

    now = now or clock.now()
    if value.tzinfo is None and now.tzinfo is not None:
        value = value.replace(tzinfo=timezone.utc)
    if now.tzinfo is None and value.tzinfo is not None:
        now = now.replace(tzinfo=timezone.utc)
    lang = current_lang(lang)
    delta = value - now
    if abs(delta) < timedelta(minutes=1):
        return {"ko": "방금", "ja": "たった今", "en": "just now"}[lang]
    text = _babel_timedelta(delta, add_direction=True, locale=lang, threshold=1.0)
    return text.replace(" ", "") if lang == "ja" else text   # "2 分前" → "2分前"


def money(amount: int, currency: str = "KRW", lang: str | None = None) -> str:
    """"₩120,000" in every language for KRW (grouped, no decimals)."""
    return format_money(int(amount), currency or "KRW", current_lang(lang))


# --- names ----------------------------------------------------------------------------------------

HONORIFICS = {"ko": "님", "ja": "様", "en": ""}
_HANGUL = re.compile(r"^[\uac00-\ud7a3]+$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")


def display_name(first: str | None, last: str | None, lang: str | None = None,
                 honorific: bool = True) -> str:
    """A person's name in the language's order.

    Korean: family name first, Hangul names without a space ("오지현 님"); Latin names keep a space
    ("Smith John 님" would read oddly, so Latin names stay given-name first in every language).
    Japanese: family name first with a space ("山田 花子 様"). English: given name first, no honorific.
    """
    first = (first or "").strip()
    last = (last or "").strip()
    lang = current_lang(lang)
    if not first and not last:
        return ""
    written_in_cjk = bool(_CJK.search(first + last))
    if lang in ("ko", "ja") and written_in_cjk:
        joiner = "" if (_HANGUL.match(first or "x") and _HANGUL.match(last or "x")) else " "
        name = joiner.join(p for p in (last, first) if p)
    else:
        name = " ".join(p for p in (first, last) if p)
    return with_honorific(name, lang) if honorific else name


def with_honorific(name: str | None, lang: str | None = None) -> str:
    """A name as written (e.g. a conflict's single guest_name) with the language's honorific."""
    name = (name or "").strip()
    lang = current_lang(lang)
    if not name or not HONORIFICS[lang]:
        return name
    return f"{name} {HONORIFICS[lang]}"


# --- Korean particles -----------------------------------------------------------------------------

#: (form after a final consonant, form after a vowel). 으로/로 also takes 로 after ㄹ.
PARTICLES = {"을/를": ("을", "를"), "이/가": ("이", "가"), "은/는": ("은", "는"), "과/와": ("과", "와"),
             "으로/로": ("으로", "로"), "이나/나": ("이나", "나"), "이랑/랑": ("이랑", "랑"),
             "아/야": ("아", "야"), "이에요/예요": ("이에요", "예요"), "이라고/라고": ("이라고", "라고")}
_ALIASES = {"를/을": "을/를", "가/이": "이/가", "는/은": "은/는", "와/과": "과/와", "로/으로": "으로/로",
            "을": "을/를", "를": "을/를", "이": "이/가", "가": "이/가", "은": "은/는", "는": "은/는",
            "과": "과/와", "와": "과/와", "으로": "으로/로", "로": "으로/로"}
_RIEUL = 8   # index of ㄹ among final consonants
#: Final consonant index (0 = none) of each digit's Korean reading: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGIT_FINALS = {"0": 21, "1": _RIEUL, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": _RIEUL, "8": _RIEUL,
                 "9": 0}
#: A number ending in n zeros is read ending in 십(ㅂ) 백(ㄱ) 천(ㄴ) 만(ㄴ) … 억(ㄱ) … 조(none).
_ZERO_UNIT_FINALS = {1: 17, 2: 1, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 8: 1, 9: 1, 10: 1, 11: 1, 12: 0, 13: 0,
                     14: 0, 15: 0}
#: Latin letters read with a final consonant in Korean (엘 엠 엔 알; others end in a vowel).
_LATIN_FINALS = {"l": _RIEUL, "m": 16, "n": 4, "r": _RIEUL}
_TRAILING = " \t)]}\"'”’」』>.…"


def final_consonant(word: str) -> int | None:
    """The index (0 = none, 8 = ㄹ) of the final consonant of the word's last sound, read from its last
    letter or digit (symbols and emoji after it are not pronounced); None when that character's
    Korean reading is unknown (e.g. a Chinese character) or the word has none."""
    text = str(word).rstrip(_TRAILING)
    end = len(text)
    while end and not text[end - 1].isalnum():
        end -= 1
    if not end:
        return None
    text, last = text[:end], text[end - 1]
    if "\uac00" <= last <= "\ud7a3":
        return (ord(last) - 0xAC00) % 28
    if last.isdigit() and last in _DIGIT_FINALS:
        digits = re.search(r"[\d,]*\d$", text).group(0).replace(",", "")
        if set(digits) == {"0"}:
            return _DIGIT_FINALS["0"]
        zeros = len(digits) - len(digits.rstrip("0"))
        if zeros:
            return _ZERO_UNIT_FINALS.get(zeros, 0)
        return _DIGIT_FINALS[last]
    if last.isascii() and last.isalpha():
        return _LATIN_FINALS.get(last.lower(), 0)
    if "\u3041" <= last <= "\u30ff":  # kana: every syllable ends in a vowel but ん/ン (read ㄴ)
        return 4 if last in "んン" else 0
    return None


def particle(word: str, pair: str) -> str:
    """The particle alone: particle("카드", "으로/로") → "로". A word whose last sound cannot be read
    takes the form used after a vowel: one particle, never both forms written together."""
    pair = _ALIASES.get(pair, pair)
    with_final, without = PARTICLES[pair]
    final = final_consonant(word) or 0
    if pair == "으로/로":
        return "으로" if final not in (0, _RIEUL) else "로"
    return with_final if final else without


def josa(word, pair: str) -> str:
    """The word followed by the right particle: josa("₩300,000", "을/를") → "₩300,000을"."""
    word = str(word)
    return f"{word}{particle(word, pair)}"
