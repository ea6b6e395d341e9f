"""What a synthetic site is made of (``manage.py seed``): its vocabulary, tags, Zipf weights and shared images.

The same ``random.Random`` seed gives the same site, so the tables here are fixed.
"""

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from photos.models import Photo

# Fixed, so that a seed gives the same timestamps whenever it runs.
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
VISIBILITY = [(Photo.Visibility.PUBLIC, 0.85), (Photo.Visibility.FOLLOWERS, 0.10), (Photo.Visibility.PRIVATE, 0.05)]
PRIVATE_ACCOUNTS = 0.05
TAGS_PER_PHOTO = [(1, 0.55), (2, 0.30), (3, 0.15)]
# Tag popularity by rank r follows Zipf-Mandelbrot, 1 / (r + OFFSET) ** EXPONENT: a long tail, and
# a head that is common but not overwhelming (the top tag on ~9% of photos; plain Zipf over a
# closed list of ~400 tags would put it on a quarter of them).
ZIPF_EXPONENT = 1.05
ZIPF_OFFSET = 3
IMAGE_COLOURS = [(196, 120, 90), (90, 140, 200), (120, 170, 90), (220, 200, 120), (150, 110, 170), (80, 80, 80)]


def _phrases(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


# What people photograph most, in rough order; the rest of the taxonomy forms the tail.
HEAD_TAGS = _phrases(
    "dog; cat; beach; flower; coffee; car; meal; mountain; bird; dessert; pizza; lake; bicycle; wine; church; "
    "bridge; shirt; horse; cocktail; burger; boat; castle; fruit; sofa; guitar; butterfly; laptop; bread; train; statue"
)
# Used when recognition/taxonomy.py cannot be loaded: (tag, categories, CNN classes).
FALLBACK_TAGS = [
    ("dog", ("animal", "pet"), ("golden retriever", "Labrador retriever", "pug", "beagle")),
    ("cat", ("animal", "pet"), ("tabby", "tiger cat", "Egyptian cat", "Persian cat")),
    ("beach", ("landscape", "nature"), ("seashore", "sandbar")),
    ("flower", ("plant", "nature"), ("daisy", "yellow lady's slipper")),
    ("coffee", ("drink", "food"), ("espresso", "cup")),
    ("car", ("vehicle",), ("sports car", "convertible", "minivan")),
    ("mountain", ("landscape", "nature"), ("alp", "volcano")),
    ("bird", ("animal", "bird"), ("robin", "goldfinch", "magpie")),
    ("pizza", ("food",), ("pizza",)),
    ("bicycle", ("vehicle", "sport"), ("mountain bike", "tandem bicycle")),
    ("boat", ("vehicle", "nautical"), ("canoe", "speedboat")),
    ("castle", ("building", "architecture"), ("castle",)),
]
# Caption parts: "<opener> <article> <subject> <place> #hashtags", each part sometimes left out.
OPENERS = _phrases(
    "Sunday; Monday mood; Morning; Evening; Lazy afternoon; Weekend; First time; Another day; Golden hour; "
    "Rainy day; Finally; Throwback; Today; Saturday; Late night; Quick stop; Day off; Summer; Winter; Spring; "
    "Autumn; Road trip; Birthday; Holiday; Caught; Spotted; Look at; Loving; Still thinking about; Guess who"
)
ARTICLES = _phrases("with the; and a; my; this; our; a; the")
PLACES = _phrases(
    "at the beach; in the park; at home; in the city; on the road; in the garden; by the lake; in the mountains; "
    "at the market; downtown; with friends; on holiday; in Lisbon; in Kyoto; at grandma's; after work; "
    "before breakfast; at the office; on the balcony; by the river; in the forest; at the harbour; on the train; "
    "at the museum; in the snow; at sunset; at sunrise; in the rain; on campus; at the festival; in the kitchen; "
    "at the cafe; on the farm; at the zoo; in the old town; on the terrace; at the stadium; at the station; "
    "by the sea; on the island; in the desert; up north; down south; next door; across the street"
)
HASHTAGS = _phrases(
    "weekend; travel; nofilter; love; tbt; photooftheday; summer; home; friends; instagood; happy; family; foodie; "
    "nature; sunset; art; style; fitness; music; vacation; picoftheday; instadaily; cute; throwback; goodvibes"
)


@dataclass(frozen=True)
class TagSpec:
    name: str
    categories: tuple[str, ...]
    classes: tuple[str, ...]
    threshold: float = 0.3


def taxonomy_tags() -> list[TagSpec]:
    """Return the taxonomy's tags, head tags first; a built-in list when the taxonomy cannot load."""
    try:
        from recognition.taxonomy import get_taxonomy

        taxonomy = get_taxonomy()
        specs = [
            TagSpec(rule.tag, rule.categories, tuple(taxonomy.class_names[i] for i in rule.classes), rule.threshold)
            for rule in taxonomy.rules
        ]
    except (ImportError, OSError, ValueError):
        specs = [TagSpec(name, categories, classes) for name, categories, classes in FALLBACK_TAGS]
    head = {name: i for i, name in enumerate(HEAD_TAGS)}
    tail = [spec for spec in specs if spec.name not in head]
    # The taxonomy file lists tags by kind (mammals first): shuffled, no kind gets the tail's top.
    random.Random(0).shuffle(tail)
    return sorted((spec for spec in specs if spec.name in head), key=lambda spec: head[spec.name]) + tail


def zipf_weights(count: int, exponent: float, offset: float = 0.0) -> list[float]:
    """Return cumulative Zipf(-Mandelbrot) weights for ranks 1..count, for ``random.choices(cum_weights=...)``."""
    return list(accumulate(1 / ((rank + offset) ** exponent) for rank in range(1, count + 1)))


def pick(rng: random.Random, table: Sequence[tuple]) -> object:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def shared_images() -> list[tuple[str, str]]:
    """Write the few JPEGs every seeded photo points at, once; return (image, thumbnail) names."""
    names = []
    for i, colour in enumerate(IMAGE_COLOURS):
        pair = []
        for kind, size in (("image", (640, 480)), ("thumb", (320, 320))):
            name = f"seed/{kind}-{i}.jpg"
            if not default_storage.exists(name):
                buffer = io.BytesIO()
                Image.new("RGB", size, colour).save(buffer, "JPEG", quality=80)
                default_storage.save(name, ContentFile(buffer.getvalue()))
            pair.append(name)
        names.append(tuple(pair))
    return names
