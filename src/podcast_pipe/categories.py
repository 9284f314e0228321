"""Apple Podcasts' current category list (the 2019 revision, still in force).

Apple rejects or ignores a feed whose ``itunes:category`` is not on this list; the names are
exact, ``&`` included. https://podcasters.apple.com/support/1691-apple-podcasts-categories
"""

from __future__ import annotations

from .validate import did_you_mean, suggest

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": (
        "Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
        "Home & Garden", "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
        "Sports News", "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
    ),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
        "Natural Sciences", "Nature", "Physics", "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships",
    ),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey",
        "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip


def category_problem(main: str, sub: str | None) -> tuple[str, str] | None:
    """Why ``main > sub`` is not an Apple category, with a did-you-mean hint; None if it is."""
    if main not in APPLE_CATEGORIES:
        hint = did_you_mean(main, APPLE_CATEGORIES, "use a name from Apple's category list")
        return f"unknown category {main!r}", hint
    subs = APPLE_CATEGORIES[main]
    if sub is None or sub in subs:
        return None
    if not subs:
        return f"{main!r} has no subcategories", f"write just `{main}`"
    guess = suggest(sub, subs)
    hint = f"did you mean `{main} > {guess}`?" if guess else "use one of: " + ", ".join(subs)
    return f"unknown subcategory {sub!r} of {main!r}", hint
