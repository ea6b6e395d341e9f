"""Turn text into search keys: pure functions shared by the search index and the query parser.

A *key* is a word folded so that the forms people type meet the forms photos are indexed by:
case and accents are dropped and singular and plural collapse to one stem (``Cats``, ``cat``
and ``cats`` are all ``cat``; ``daisies`` and ``daisy`` are ``daisi``). Indexing and querying
fold text with the same functions, so a key only ever has to equal another key; keys are never
shown to anybody.
"""

import re
import unicodedata
from dataclasses import dataclass

# Longer input is cut: nobody types more, and every word becomes a join in the search query.
MAX_QUERY_CHARS = 200
MAX_TERMS = 6
MAX_KEY_LENGTH = 64  # PhotoSearchTerm.term

# Letters and digits; the underscore counts as a separator, as does everything else.
_WORD_RE = re.compile(r"[^\W_]+")
# Words that say nothing about what is in a photo. They are neither indexed nor required,
# but they stay inside quoted phrases and caption documents, where word order matters.
_STOPWORDS = (
    "a an and are as at be but by for from has have i in is it its me my of on or our so that the "
    "their them these this those to was we were with you your"
)
STOPWORDS = frozenset(_STOPWORDS.split())
# Plurals that no suffix rule folds onto their singular.
IRREGULAR_PLURALS = {
    "calves": "calf",
    "cacti": "cactus",
    "children": "child",
    "feet": "foot",
    "flies": "fly",
    "fries": "fry",
    "fungi": "fungus",
    "geese": "goose",
    "halves": "half",
    "knives": "knife",
    "leaves": "leaf",
    "lives": "life",
    "loaves": "loaf",
    "men": "man",
    "mice": "mouse",
    "oxen": "ox",
    "people": "person",
    "scarves": "scarf",
    "shelves": "shelf",
    "skies": "sky",
    "spies": "spy",
    "teeth": "tooth",
    "thieves": "thief",
    "wives": "wife",
    "wolves": "wolf",
    "women": "woman",
}


def fold(text: str) -> str:
    """Return ``text`` case-folded and without accents (``Café`` -> ``cafe``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def words(text: str) -> list[str]:
    """Return the folded words of ``text`` in order; punctuation, symbols and emoji are dropped."""
    return _WORD_RE.findall(fold(text))


def word_key(word: str) -> str:
    """Return the key of one folded word: singular and plural forms share it.

    A light stemmer rather than a dictionary: it only has to map both forms to the same
    string, not to a real word (``horse``/``horses`` -> ``hors``, ``box``/``boxes`` -> ``box``).
    """
    word = IRREGULAR_PLURALS.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "i"  # berries -> berri, movies -> movi
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]  # cats -> cat, boxes -> boxe; glass, bus and iris keep their s
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # horse -> hors, boxe -> box, movie -> movi
    elif len(word) > 3 and word.endswith("y") and word[-2] not in "aeiou":
        word = word[:-1] + "i"  # berry -> berri, daisy -> daisi; toy and monkey stay
    return word


def text_keys(text: str) -> list[str]:
    """Return the key of every word of ``text``, stopwords included, in order."""
    return [word_key(word) for word in words(text)]


def name_key(name: str) -> str:
    """Return the key of a whole tag, category or class name (``Tiger cat`` -> ``tiger cat``)."""
    return " ".join(text_keys(name))


def is_stopword(word: str) -> bool:
    """Return whether a folded word is too common to search by."""
    return word in STOPWORDS


def content_pairs(name_words: list[str], keys: list[str]) -> list[str]:
    """Return the keys of adjacent word pairs without a stopword (``hot dog``, not ``of the``)."""
    return [
        f"{keys[i]} {keys[i + 1]}"
        for i in range(len(keys) - 1)
        if not (is_stopword(name_words[i]) or is_stopword(name_words[i + 1]))
    ]


@dataclass(frozen=True)
class ParsedQuery:
    """What a search box string asks for, as keys.

    ``terms`` must all match (each anywhere: a tag, category, class, hashtag or caption word);
    ``pairs`` are adjacent words that rank a photo higher when they match a two-word name
    (``hot dog``); ``phrases`` were quoted and must appear as written in the caption or as a
    whole name.
    """

    terms: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(raw: str) -> ParsedQuery:
    """Parse a search box string; never raise, whatever it holds.

    Words are ANDed; text between double quotes is a phrase (an unclosed quote runs to the
    end). Stopwords are dropped unless quoted with other words. Input past MAX_QUERY_CHARS and
    words past MAX_TERMS are ignored.
    """
    terms: list[str] = []
    pairs: list[str] = []
    phrases: list[str] = []
    # Splitting on quotes leaves the quoted parts at odd positions.
    for position, part in enumerate(raw[:MAX_QUERY_CHARS].split('"')):
        part_words = words(part)
        keys = [word_key(word) for word in part_words]
        if position % 2 and len(keys) > 1:
            phrases.append(" ".join(keys))
        pairs.extend(content_pairs(part_words, keys))
        terms.extend(key for word, key in zip(part_words, keys, strict=True) if not is_stopword(word))
    # A key too long to be indexed stays: it matches nothing, which is the right answer.
    terms = list(dict.fromkeys(terms))[:MAX_TERMS]
    pairs = [pair for pair in dict.fromkeys(pairs) if len(pair) <= MAX_KEY_LENGTH][: MAX_TERMS - 1]
    phrases = [phrase for phrase in dict.fromkeys(phrases) if len(phrase) <= MAX_QUERY_CHARS][:MAX_TERMS]
    if not terms:
        return ParsedQuery()
    return ParsedQuery(tuple(terms), tuple(pairs), tuple(phrases))
