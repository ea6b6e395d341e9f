"""Draft alt text from what the CNN found: a plain sentence a screen-reader user would want to hear.

Pure functions over tag predictions (anything with ``name``, ``confidence`` and ``classes`` as
``(class name, score)`` pairs, highest first: ``recognition.taxonomy.TagPrediction`` or stored
``PhotoTag`` rows read back); no Django, no recognition import. "Photo: a tiger cat." rather than
"cat 0.92, animal, pet": confident tags are stated, uncertain ones hedged ("possibly a rocket"),
weak ones dropped, and nothing from the caption (hashtags are never alt text).
"""

from collections.abc import Iterable, Sequence
from typing import Protocol

# A tag at or above this confidence is stated; between HEDGE and STATE it is "possibly ...";
# below HEDGE it is left out (the taxonomy's own floor is 0.3: a third of the vote is a guess).
STATE_CONFIDENCE = 0.6
HEDGE_CONFIDENCE = 0.4
# The network's finer class replaces the tag when it carries this much of the probability on its
# own ("a tiger cat", "an espresso"); split votes (tiger cat / Egyptian cat / tabby) say "a cat".
SPECIFIC_CLASS_SCORE = 0.6
# A listener wants the gist: the main things, not an inventory.
MAX_STATED = 3
MAX_HEDGED = 1
PREFIX = "Photo"

# Tags that take no article or read better in other words. Written by hand because the taxonomy's
# tags are search words ("golf", "jeans", "medical"), not noun phrases; the rest take "a"/"an".
PHRASES = {
    "christmas": "Christmas decorations",
    "halloween": "Halloween decorations",
    "medical": "medical equipment",
    "screenshot": "a screenshot",
    "ski": "skiing",
    "gym": "a gym",
    "kitchenware": "kitchenware",
    "stationery": "stationery",
    "cosmetics": "cosmetics",
    "makeup": "makeup",
    "jewelry": "jewelry",
    "armor": "armor",
    "pottery": "pottery",
    "sewing": "sewing",
    "hay": "hay",
    "ruins": "ruins",
    "meat": "meat",
    "pasta": "pasta",
    "bread": "bread",
    "soup": "soup",
    "guacamole": "guacamole",
    "ice cream": "ice cream",
    "fruit": "fruit",
    "coffee": "coffee",
    "wine": "wine",
    "beer": "beer",
    "soda": "soda",
    "honeycomb": "honeycomb",
    "dessert": "a dessert",
    "tv": "a TV",
    "atm": "an ATM",
}
# ImageNet class names that are not what a person would say.
CLASS_NAMES = {"jean": "jeans", "sunglass": "sunglasses", "website": "screenshot", "web site": "screenshot"}
# Sports and games are activities: "people playing golf" is more than the photo shows; "golf" is honest.
NO_ARTICLE_CATEGORIES = {"sport"}
# ...except the things of sport, which are things.
SPORT_THINGS = {"stadium", "bicycle", "unicycle", "snowmobile", "go-kart", "golf cart", "sled", "parachute", "helmet"}


class TagLike(Protocol):
    name: str
    confidence: float
    classes: Sequence


def _article(phrase: str) -> str:
    """Return ``phrase`` with "a" or "an" (plural-looking words, "jeans", take none)."""
    last = phrase.split()[-1]
    if last.endswith("s") and not last.endswith(("ss", "us", "is")):
        return phrase
    word = phrase.lower()
    vowel = word[0] in "aeiou" and not word.startswith(("uni", "eu", "one", "use"))
    return f"{'an' if vowel or word.startswith('hour') else 'a'} {phrase}"


def _class_pairs(classes: Iterable) -> list[tuple[str, float]]:
    """Return (name, score) pairs from tuples or the API's ``{"name", "score"}`` dicts."""
    pairs = []
    for item in classes:
        if isinstance(item, dict):
            pairs.append((str(item["name"]), float(item["score"])))
        else:
            name, score = item
            pairs.append((str(name), float(score)))
    return pairs


def thing_phrase(tag: TagLike, categories: Iterable[str] = ()) -> str:
    """Return how the sentence names one tag: its dominant finer class, else the tag, with an article."""
    pairs = _class_pairs(tag.classes)
    if pairs:
        top_name, top_score = max(pairs, key=lambda pair: pair[1])
        if top_score >= SPECIFIC_CLASS_SCORE:
            return _article(CLASS_NAMES.get(top_name, top_name))
    if tag.name in PHRASES:
        return PHRASES[tag.name]
    if NO_ARTICLE_CATEGORIES & set(categories) and tag.name not in SPORT_THINGS:
        return tag.name
    return _article(tag.name)


def _join(phrases: Sequence[str]) -> str:
    if len(phrases) <= 2:
        return " and ".join(phrases)
    return f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def alt_text_draft(tags: Iterable[TagLike]) -> str:
    """Return a one-sentence description of a photo from its CNN tags, or "" when nothing is sure enough.

    "Photo: a tiger cat." / "Photo: a dog and a sofa, possibly a laptop." / "Photo: possibly a rocket."
    """
    ranked = sorted(tags, key=lambda tag: tag.confidence, reverse=True)
    stated = [tag for tag in ranked if tag.confidence >= STATE_CONFIDENCE][:MAX_STATED]
    hedged = [tag for tag in ranked if HEDGE_CONFIDENCE <= tag.confidence < STATE_CONFIDENCE][:MAX_HEDGED]
    categories = {tag.name: getattr(tag, "categories", ()) for tag in ranked}
    certain: list[str] = []
    possible: list[str] = []
    for group, tags_in_group in ((certain, stated), (possible, hedged)):
        for tag in tags_in_group:
            phrase = thing_phrase(tag, categories[tag.name])
            if phrase not in certain and phrase not in possible:
                group.append(phrase)
    parts = []
    if certain:
        parts.append(_join(certain))
    if possible:
        parts.append(f"possibly {_join(possible)}")
    if not parts:
        return ""
    return f"{PREFIX}: {', '.join(parts)}."
