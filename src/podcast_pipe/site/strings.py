"""The website's own words in the show's language (English when there is no table for it)."""

from __future__ import annotations

import datetime as dt

EN = {
    "episodes": "Episodes",
    "subscribe": "Subscribe",
    "feed": "RSS feed",
    "feed_hint": "Paste this address into any podcast app:",
    "copy_button": "Copy",
    "copied": "Copied",
    "open_app": "Open in your podcast app",
    "support": "Support the show",
    "website": "Website",
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    "youtube": "YouTube",
    "chapters": "Chapters",
    "transcript": "Transcript",
    "notes": "Show notes",
    "people": "People",
    "download": "Download MP3",
    "previous": "Previous episode",
    "next": "Next episode",
    "all_episodes": "All episodes",
    "season": "Season {n}",
    "episode_n": "Episode {n}",
    "trailer": "Trailer",
    "bonus": "Bonus",
    "embed": "Embed this episode",
    "embed_hint": "Paste this code into a web page:",
    "listen": "Listen",
    "host": "host",
    "guest": "guest",
    "months": "January February March April May June July August September October "
    "November December",
    "date": "{month} {day}, {year}",
}
TR = {
    "episodes": "Bölümler",
    "subscribe": "Abone ol",
    "feed": "RSS akışı",
    "feed_hint": "Bu adresi herhangi bir podcast uygulamasına yapıştırın:",
    "copy_button": "Kopyala",
    "copied": "Kopyalandı",
    "open_app": "Podcast uygulamasında aç",
    "support": "Destek olun",
    "website": "Web sitesi",
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    "youtube": "YouTube",
    "chapters": "İçindekiler",
    "transcript": "Konuşma metni",
    "notes": "Bölüm notları",
    "people": "Kişiler",
    "download": "MP3 indir",
    "previous": "Önceki bölüm",
    "next": "Sonraki bölüm",
    "all_episodes": "Tüm bölümler",
    "season": "{n}. sezon",
    "episode_n": "{n}. bölüm",
    "trailer": "Fragman",
    "bonus": "Ek bölüm",
    "embed": "Bu bölümü sitenize ekleyin",
    "embed_hint": "Bu kodu bir web sayfasına yapıştırın:",
    "listen": "Dinle",
    "host": "sunucu",
    "guest": "konuk",
    "months": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
    "date": "{day} {month} {year}",
}
TABLES = {"en": EN, "tr": TR}


def words(language: str) -> dict[str, str]:
    """The table for a BCP 47 tag by its primary subtag (``tr-TR`` → Turkish)."""
    return TABLES.get(language.split("-")[0].lower(), EN)


def long_date(day: dt.date, table: dict[str, str]) -> str:
    """``15 Eylül 2026`` / ``September 15, 2026``."""
    month = table["months"].split()[day.month - 1]
    return table["date"].format(day=day.day, month=month, year=day.year)


def _hms(seconds: float) -> tuple[int, int, int]:
    hours, rest = divmod(round(seconds), 3600)
    return hours, *divmod(rest, 60)


def clock(seconds: float) -> str:
    """A duration as players show it: ``0:42``, ``12:05``, ``1:02:03``."""
    hours, minutes, secs = _hms(seconds)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration for schema.org and ``<time datetime>``: ``PT1H2M3S``."""
    hours, minutes, secs = _hms(seconds)
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return f"PT{parts}{secs}S" if secs or not parts else f"PT{parts}"
