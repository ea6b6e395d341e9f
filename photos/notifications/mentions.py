"""@mentions: which names a caption or comment mentions. Pure text functions, like hashtags_in."""

import re
import unicodedata

# A mention is ``@`` and a username (letters, digits and ``.+-_``), not inside a word or an email
# address (``bob@example.com``), and not ending in punctuation (``@bob.`` mentions ``bob``).
MENTION_RE = re.compile(r"(?<![\w@.+-])@(\w(?:[\w.+-]*\w)?)")
# More names than this in one text notify nobody past the first ones: a caption cannot spam a crowd.
MENTIONS_MAX = 10


def mentions_in(text: str) -> list[str]:
    """Return the distinct names ``text`` mentions (case-folded, NFKC), in order of appearance."""
    names = (unicodedata.normalize("NFKC", name).casefold() for name in MENTION_RE.findall(text))
    return list(dict.fromkeys(names))[:MENTIONS_MAX]
