"""Map the CNN's 1000 ImageNet classes to the tags people search for.

The rules live in ``data/taxonomy.toml`` (its header explains how to edit them); the class
names in ``data/imagenet_classes.txt``, in the model's output order. Everything here is a
pure function of those files and a probability vector: no Django, no TensorFlow.

How one tag is decided: its score is the sum of the probabilities of the rule's classes; its
threshold is that of the rule's highest-scoring class (the class's ``class_thresholds``
entry if it has one, else the rule's ``threshold``); the tag is emitted when score reaches
threshold. An override thus only matters when its class leads the vote: it raises the bar
for an unreliable class and lowers it for a very reliable one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
TAXONOMY_PATH = DATA_DIR / "taxonomy.toml"
CLASSES_PATH = DATA_DIR / "imagenet_classes.txt"
NUM_CLASSES = 1000

# Provenance shows the classes behind a tag; below 1% a class is noise, not a reason.
PROVENANCE_MIN_SCORE = 0.01
PROVENANCE_MAX_CLASSES = 5
# A rule must stay silent on a distribution twice as concentrated on its classes as pure
# noise, or a blurry or abstract photo gets tagged "dog" just because dogs are 12% of ImageNet.
NOISE_MARGIN = 2.0
# Summing float32 probabilities can land a hair under a threshold that was exactly reached.
SCORE_TOLERANCE = 1e-9

_TOP_LEVEL_KEYS = {"version", "default_threshold", "max_tags", "categories", "rule", "ignore"}
_RULE_KEYS = {"tag", "categories", "threshold", "classes", "class_thresholds"}
_IGNORE_KEYS = {"reason", "classes"}


@dataclass(frozen=True)
class Rule:
    """One user-facing tag and the classes that vote for it."""

    tag: str
    categories: tuple[str, ...]
    threshold: float
    classes: tuple[int, ...]
    class_thresholds: tuple[tuple[int, float], ...] = ()

    @property
    def key(self) -> str:
        """Return the identifier stored as a tag's provenance: stable while the tag exists."""
        return f"tag:{self.tag}"

    def threshold_for(self, index: int) -> float:
        """Return the threshold that applies when class ``index`` leads this rule's vote."""
        return dict(self.class_thresholds).get(index, self.threshold)


@dataclass(frozen=True)
class Taxonomy:
    """A validated rules file: every class maps to exactly one rule or is ignored."""

    version: int
    rules: tuple[Rule, ...]
    class_names: tuple[str, ...]
    lookup: tuple[Rule | None, ...]  # class index -> its rule, None when ignored
    ignored: Mapping[int, str]  # class index -> why it is ignored
    categories: Mapping[str, str]  # the category vocabulary, name -> description
    max_tags: int = 5
    # Derived once for map_predictions: each class's rule position (-1 when ignored), and
    # each rule's lowest threshold, below which it cannot fire whichever class leads.
    _rule_of_class: np.ndarray = field(init=False, repr=False, compare=False)
    _lowest_threshold: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        positions = {rule.tag: i for i, rule in enumerate(self.rules)}
        owner = np.array([-1 if rule is None else positions[rule.tag] for rule in self.lookup], dtype=np.intp)
        lowest = np.array([min([r.threshold, *(t for _, t in r.class_thresholds)]) for r in self.rules])
        object.__setattr__(self, "_rule_of_class", owner)
        object.__setattr__(self, "_lowest_threshold", lowest)

    def rule_for(self, index: int) -> Rule | None:
        """Return the rule for class ``index``, or None if the class is ignored."""
        return self.lookup[index]

    def rule_for_tag(self, tag: str) -> Rule | None:
        """Return the rule that emits ``tag``, or None if no rule does."""
        return next((rule for rule in self.rules if rule.tag == tag), None)


@dataclass(frozen=True)
class TagPrediction:
    """A tag for one photo, with the evidence behind it."""

    name: str
    categories: tuple[str, ...]
    confidence: float
    classes: tuple[tuple[str, float], ...]  # (class name, score), highest first
    rule: str


def parse_classes(spec: str | list[int]) -> tuple[int, ...]:
    """Return the class indices in ``spec``: a string like ``"151-268, 273"`` or a list of ints."""
    if isinstance(spec, list) and all(type(item) is int for item in spec):
        indices = list(spec)
    elif isinstance(spec, str) and spec.strip():
        indices = []
        for part in (part.strip() for part in spec.split(",")):
            start, _, end = part.partition("-")
            if not start.strip().isdigit() or (end and not end.strip().isdigit()):
                raise ValueError(f"bad class range {part!r}: expected an index like 281 or a range like 281-285")
            first, last = int(start), int(end or start)
            if first > last:
                raise ValueError(f"bad class range {part!r}: the range runs backwards")
            indices.extend(range(first, last + 1))
    else:
        raise ValueError(f"classes must be a string like '281-285, 383' or a list of integers, got {spec!r}")
    outside = [i for i in indices if not 0 <= i < NUM_CLASSES]
    if outside:
        raise ValueError(f"class indices {outside} are outside 0-{NUM_CLASSES - 1}")
    return tuple(indices)


def load_class_names(path: str | Path | None = None) -> tuple[str, ...]:
    """Return the ImageNet class names from ``path`` (``wnid<TAB>name`` lines), in model order."""
    path = Path(path or CLASSES_PATH)
    names = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        wnid, tab, name = line.partition("\t")
        if not (tab and wnid.startswith("n") and name.strip()):
            raise ValueError(f"{path}:{number}: expected 'wnid<TAB>name', got {line!r}")
        names.append(name.strip())
    if len(names) != NUM_CLASSES:
        raise ValueError(f"{path}: expected {NUM_CLASSES} class names, found {len(names)}")
    return tuple(names)


def load_taxonomy(path: str | Path | None = None, classes_path: str | Path | None = None) -> Taxonomy:
    """Read and validate a rules file; raise ValueError listing every problem found."""
    path = Path(path or TAXONOMY_PATH)
    names = load_class_names(classes_path)
    with path.open("rb") as f:
        data = tomllib.load(f)
    problems: list[str] = []
    _check_keys(data, _TOP_LEVEL_KEYS, "the top level", problems)
    version = data.get("version")
    if type(version) is not int or version < 1:
        problems.append(f"version must be a positive integer, got {version!r}")
    max_tags = data.get("max_tags", 5)
    if type(max_tags) is not int or max_tags < 1:
        problems.append(f"max_tags must be a positive integer, got {max_tags!r}")
    default_threshold = _threshold(data.get("default_threshold", 0.3), "default_threshold", problems)
    vocabulary = data.get("categories")
    if not isinstance(vocabulary, dict) or not vocabulary:
        problems.append("[categories] must list the category vocabulary, name = description")
        vocabulary = {}

    rules: list[Rule] = []
    owners: dict[int, list[str]] = {i: [] for i in range(NUM_CLASSES)}
    for number, table in enumerate(data.get("rule", []), start=1):
        where = f"rule {number} ({table.get('tag')!r})"
        rule, classes = _parse_rule(table, where, default_threshold, vocabulary, problems)
        for index in classes:  # even from a broken rule, so only the real mistake is reported
            owners[index].append(f"rule {table.get('tag')!r}")
        if rule is not None:
            rules.append(rule)
    ignored: dict[int, str] = {}
    for number, table in enumerate(data.get("ignore", []), start=1):
        where = f"ignore {number}"
        _check_keys(table, _IGNORE_KEYS, where, problems)
        reason = table.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: give a reason for ignoring these classes")
        try:
            for index in parse_classes(table.get("classes")):
                owners[index].append(where)
                ignored[index] = str(reason)
        except ValueError as error:
            problems.append(f"{where}: {error}")

    seen_tags: set[str] = set()
    for rule in rules:
        if rule.tag in seen_tags:
            problems.append(f"tag {rule.tag!r} has more than one rule; merge them so its score is one sum")
        seen_tags.add(rule.tag)
    if missing := [i for i, where in owners.items() if not where]:
        problems.append("classes not covered by any rule or ignore: " + _describe(missing, names))
    for index, where in owners.items():
        if len(where) > 1:
            problems.append(f"class {index} ({names[index]}) is listed {len(where)} times: {', '.join(where)}")
    if problems:
        raise ValueError(f"invalid taxonomy {path}:\n  - " + "\n  - ".join(problems))

    lookup: list[Rule | None] = [None] * NUM_CLASSES
    for rule in rules:
        for index in rule.classes:
            lookup[index] = rule
    return Taxonomy(
        version=version,
        rules=tuple(rules),
        class_names=names,
        lookup=tuple(lookup),
        ignored=MappingProxyType(ignored),
        categories=MappingProxyType(dict(vocabulary)),
        max_tags=max_tags,
    )


def _parse_rule(
    table: dict, where: str, default: float, vocabulary: Mapping, problems: list[str]
) -> tuple[Rule | None, tuple[int, ...]]:
    """Return the rule (None if it has problems, which are appended) and the classes it lists."""
    count = len(problems)
    _check_keys(table, _RULE_KEYS, where, problems)
    tag = table.get("tag")
    if not isinstance(tag, str) or not tag.strip() or tag != tag.strip().lower():
        problems.append(f"{where}: tag must be a non-empty lowercase word, got {tag!r}")
    categories = table.get("categories")
    if not isinstance(categories, list) or not categories or len(set(categories)) != len(categories):
        problems.append(f"{where}: categories must be a non-empty list without repeats, got {categories!r}")
        categories = []
    if unknown := [c for c in categories if c not in vocabulary]:
        problems.append(f"{where}: categories {unknown} are not in [categories]")
    threshold = _threshold(table.get("threshold", default), f"{where}: threshold", problems)
    try:
        classes = parse_classes(table.get("classes"))
    except ValueError as error:
        problems.append(f"{where}: {error}")
        classes = ()
    overrides = []
    raw_overrides = table.get("class_thresholds", {})
    for key, value in raw_overrides.items() if isinstance(raw_overrides, dict) else []:
        if not key.isdigit() or int(key) not in classes:
            problems.append(f"{where}: class_thresholds names class {key!r}, which is not one of this rule's classes")
            continue
        overrides.append((int(key), _threshold(value, f"{where}: class_thresholds {key}", problems)))
    if not isinstance(raw_overrides, dict):
        problems.append(f"{where}: class_thresholds must be a table like {{ 248 = 0.4 }}")
    lowest = min([threshold, *(value for _, value in overrides)])
    noise = NOISE_MARGIN * len(classes) / NUM_CLASSES
    if classes and lowest <= noise:
        problems.append(
            f"{where}: threshold {lowest} would fire on noise; its {len(classes)} classes get "
            f"{len(classes) / NUM_CLASSES:.3f} from a uniform distribution, so it must exceed {noise:.3f}"
        )
    if len(problems) > count:
        return None, classes
    return Rule(tag, tuple(categories), threshold, classes, tuple(sorted(overrides))), classes


def _threshold(value: object, where: str, problems: list[str]) -> float:
    if type(value) not in (int, float) or not 0.0 < value <= 1.0:
        problems.append(f"{where} must be a number in (0, 1], got {value!r}")
        return 1.0
    return float(value)


def _check_keys(table: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    if unknown := sorted(set(table) - allowed):
        problems.append(f"{where}: unknown keys {unknown}; expected some of {sorted(allowed)}")


def _describe(indices: list[int], names: tuple[str, ...]) -> str:
    return ", ".join(f"{i} ({names[i]})" for i in indices)


_cache: dict[str, Taxonomy] = {}
_names_cache: dict[str, tuple[str, ...]] = {}


def get_taxonomy() -> Taxonomy:
    """Return the taxonomy in TAXONOMY_PATH, loaded once per process."""
    if "default" not in _cache:
        _cache["default"] = load_taxonomy()
    return _cache["default"]


def clear_cache() -> None:
    """Forget the loaded taxonomy, so the next use reads the files again."""
    _cache.clear()
    _names_cache.clear()


def __getattr__(name: str) -> int:
    # TAXONOMY_VERSION is read from the rules file on first use, not at import.
    if name == "TAXONOMY_VERSION":
        return get_taxonomy().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def class_names() -> list[str]:
    """Return the 1000 ImageNet class names in model output order."""
    if "names" not in _names_cache:
        _names_cache["names"] = load_class_names()
    return list(_names_cache["names"])


def map_predictions(
    probs: np.ndarray, taxonomy: Taxonomy | None = None, *, max_tags: int | None = None
) -> list[TagPrediction]:
    """Return the tags a probability vector of shape (1000,) earns, most confident first."""
    taxonomy = taxonomy or get_taxonomy()
    scores = np.asarray(probs, dtype=np.float64)
    if scores.shape != (NUM_CLASSES,):
        raise ValueError(f"expected class probabilities of shape ({NUM_CLASSES},), got shape {scores.shape}")
    if not np.all(np.isfinite(scores)) or scores.min() < 0.0 or scores.max() > 1.0:
        raise ValueError("expected class probabilities in [0, 1] (softmax output), got values outside that range")
    owner = taxonomy._rule_of_class
    mapped = owner >= 0
    totals = np.bincount(owner[mapped], weights=scores[mapped], minlength=len(taxonomy.rules))
    predictions = []
    for position in np.flatnonzero(totals + SCORE_TOLERANCE >= taxonomy._lowest_threshold):
        rule = taxonomy.rules[position]
        members = np.asarray(rule.classes)
        member_scores = scores[members]
        # Highest score first; ties go to the lower class index, so the outcome is deterministic.
        order = np.lexsort((members, -member_scores))
        if totals[position] + SCORE_TOLERANCE < rule.threshold_for(int(members[order[0]])):
            continue
        # The leading class is always shown, even under the floor: a tag needs a reason.
        evidence = tuple(
            (taxonomy.class_names[members[i]], float(member_scores[i]))
            for rank, i in enumerate(order[:PROVENANCE_MAX_CLASSES])
            if rank == 0 or member_scores[i] >= PROVENANCE_MIN_SCORE
        )
        confidence = min(1.0, float(totals[position]))
        predictions.append(TagPrediction(rule.tag, rule.categories, confidence, evidence, rule.key))
    predictions.sort(key=lambda prediction: (-prediction.confidence, prediction.name))
    return predictions[: max_tags or taxonomy.max_tags]


def all_categories(taxonomy: Taxonomy | None = None) -> set[str]:
    """Return every category some rule can emit."""
    taxonomy = taxonomy or get_taxonomy()
    return {category for rule in taxonomy.rules for category in rule.categories}


def tags_by_category(taxonomy: Taxonomy | None = None) -> dict[str, tuple[str, ...]]:
    """Return, for each category, the tags that carry it, sorted by name."""
    taxonomy = taxonomy or get_taxonomy()
    tags: dict[str, list[str]] = {}
    for rule in taxonomy.rules:
        for category in rule.categories:
            tags.setdefault(category, []).append(rule.tag)
    return {category: tuple(sorted(names)) for category, names in sorted(tags.items())}
