"""Decide a photo's tags from the CNN's probabilities over several views of it.

Per view, the taxonomy is used as a hierarchy: a tag's raw score is the sum of the probabilities of
its classes, and a category's the sum over the classes of every tag carrying it (palace 0.15 +
monastery 0.2 + castle 0.15 + bell cote 0.1 say "building" with confidence though no single tag
does). Views are pooled per score by the maximum (``bench/tag_quality.py`` compares max and mean:
a subject seen in one crop of a panorama is absent from the others, so a mean dilutes it).

Thresholds are calibrated on data, not set by hand (``data/calibration.json``, fitted by
``bench/tag_quality.py --fit``): a logistic map from the raw score's margin over the rule's
threshold (in log-odds) to the probability that the tag is right. A tag is given when that
probability reaches ``MIN_CONFIDENCE`` (a policy on probabilities, not a per-rule hand threshold),
and that probability is what is stored as its confidence.
A category is given as a tag of its own name only when no tag already given carries it.
No Django, no TensorFlow here.
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition import taxonomy as taxonomy_module
from recognition.taxonomy import (
    NOISE_MARGIN,
    NUM_CLASSES,
    PROVENANCE_MAX_CLASSES,
    PROVENANCE_MIN_SCORE,
    TagPrediction,
    Taxonomy,
)

CALIBRATION_PATH = Path(__file__).resolve().parent / "data" / "calibration.json"
# The decision policy on calibrated probabilities: a tag is given when it is more likely right than
# wrong; a category given as a tag of its own (a broader word standing in for a missing tag) needs more.
MIN_CONFIDENCE = {"tag": 0.5, "category": 0.6}
# A category's raw score is compared, before calibration, with this reference (its "rule threshold").
CATEGORY_REFERENCE = 0.5
_EPS = 1e-6


@dataclass(frozen=True)
class ViewedPrediction(TagPrediction):
    """A tag with where it was seen: the view that earned it, its raw sum there, and every view looked at."""

    view: str = "centre"
    raw_score: float = 0.0
    views: tuple[str, ...] = ()
    kind: str = "tag"  # "tag" or "category"

    def provenance(self) -> list[dict]:
        """Return PhotoTag.classes: [{"name", "score"}...] as before, each with its view; the first with the sum."""
        entries = [{"name": name, "score": round(float(score), 4), "view": self.view} for name, score in self.classes]
        if entries:
            entries[0] |= {"sum": round(self.raw_score, 4), "views": list(self.views)}
        return entries


@dataclass(frozen=True)
class Calibration:
    """Logistic maps from a raw score's log-odds margin over its reference to P(right), per kind."""

    tag: tuple[float, float] = (1.0, 0.0)  # slope, intercept
    category: tuple[float, float] = (1.0, 0.0)

    def confidence(self, kind: str, raw: float, reference: float) -> float:
        """Return P(right) for a ``kind`` ("tag" or "category") whose pooled raw sum is ``raw``."""
        return self.of_margin(kind, margin(raw, reference))

    def of_margin(self, kind: str, log_odds_margin: float) -> float:
        slope, intercept = getattr(self, kind)
        return 1.0 / (1.0 + math.exp(-(slope * log_odds_margin + intercept)))


def margin(raw: float, reference: float) -> float:
    """Return the log-odds by which ``raw`` exceeds ``reference``."""
    raw = min(max(raw, _EPS), 1 - _EPS)
    return math.log(raw / (1 - raw)) - math.log(reference / (1 - reference))


def load_calibration(path: Path | None = None) -> Calibration:
    path = Path(path or CALIBRATION_PATH)
    if not path.exists():
        return Calibration()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Calibration(tag=tuple(data["tag"]), category=tuple(data["category"]))


_cache: dict[str, object] = {}


def get_calibration() -> Calibration:
    if "calibration" not in _cache:
        _cache["calibration"] = load_calibration()
    return _cache["calibration"]


def _category_index(rules: Taxonomy) -> tuple[tuple[str, ...], np.ndarray]:
    """Return the category names and a (categories, 1000) 0/1 matrix of the classes behind each."""
    key = f"categories-{id(rules)}"
    if key not in _cache:
        names = tuple(sorted({c for rule in rules.rules for c in rule.categories}))
        matrix = np.zeros((len(names), NUM_CLASSES), dtype=np.float64)
        position = {name: i for i, name in enumerate(names)}
        for rule in rules.rules:
            for category in rule.categories:
                matrix[position[category], list(rule.classes)] = 1.0
        _cache[key] = (names, matrix)
    return _cache[key]


def category_classes(name: str, rules: Taxonomy) -> tuple[int, ...]:
    """Return the classes behind category ``name`` (empty if no rule carries it)."""
    names, matrix = _category_index(rules)
    return tuple(int(i) for i in np.flatnonzero(matrix[names.index(name)])) if name in names else ()


@dataclass(frozen=True)
class Candidate:
    """A tag or category's pooled raw score before the decision (the benchmark calibrates on these)."""

    name: str
    kind: str
    raw: float
    reference: float
    view: int
    categories: tuple[str, ...]
    members: tuple[int, ...]


def candidates(probs: np.ndarray, rules: Taxonomy, *, pool: str = "max", floor: float = 0.02) -> list[Candidate]:
    """Return every tag and category whose pooled raw score reaches ``floor`` (and its noise floor)."""
    probs = np.asarray(probs, dtype=np.float64).reshape(-1, NUM_CLASSES)
    owner = rules._rule_of_class
    mapped = owner >= 0
    tag_sums = np.stack([np.bincount(owner[mapped], weights=p[mapped], minlength=len(rules.rules)) for p in probs])
    names, matrix = _category_index(rules)
    category_sums = probs @ matrix.T
    found = []
    for kind, sums, count in (("tag", tag_sums, None), ("category", category_sums, matrix.sum(axis=1))):
        pooled = sums.max(axis=0) if pool == "max" else sums.mean(axis=0)
        best_view = sums.argmax(axis=0)
        for position in np.flatnonzero(pooled >= floor):
            view = int(best_view[position])
            if kind == "tag":
                rule = rules.rules[position]
                members = tuple(rule.classes)
                lead = max(members, key=lambda i: (probs[view, i], -i))
                found.append(
                    Candidate(
                        rule.tag,
                        kind,
                        float(pooled[position]),
                        rule.threshold_for(lead),
                        view,
                        rule.categories,
                        members,
                    )
                )
            else:
                if pooled[position] <= NOISE_MARGIN * count[position] / NUM_CLASSES:
                    continue
                members = tuple(int(i) for i in np.flatnonzero(matrix[position]))
                name = names[position]
                found.append(Candidate(name, kind, float(pooled[position]), CATEGORY_REFERENCE, view, (name,), members))
    return found


def best_confidence(probs: np.ndarray, rules: Taxonomy | None = None) -> float:
    """Return the highest calibrated confidence any tag reaches on these views (0 when none is a candidate)."""
    rules = rules or taxonomy_module.get_taxonomy()
    calibration = get_calibration()
    found = [c for c in candidates(probs, rules) if c.kind == "tag"]
    return max((calibration.confidence(c.kind, c.raw, c.reference) for c in found), default=0.0)


def decide(
    probs: np.ndarray,
    view_names: Sequence[str],
    *,
    rules: Taxonomy | None = None,
    calibration: Calibration | None = None,
    pool: str = "max",
) -> list[ViewedPrediction]:
    """Return the tags earned by the probabilities of a photo's views, shape (views, 1000), most confident first."""
    rules = rules or taxonomy_module.get_taxonomy()
    calibration = calibration or get_calibration()
    probs = np.asarray(probs, dtype=np.float64).reshape(-1, NUM_CLASSES)
    given: list[ViewedPrediction] = []
    covered: set[str] = set()
    found = sorted(candidates(probs, rules, pool=pool), key=lambda c: (c.kind != "tag", -c.raw, c.name))
    for candidate in found:
        confidence = calibration.confidence(candidate.kind, candidate.raw, candidate.reference)
        if confidence < MIN_CONFIDENCE[candidate.kind]:
            continue
        if candidate.kind == "category" and (candidate.name in covered or any(p.name == candidate.name for p in given)):
            continue
        scores = probs[candidate.view, list(candidate.members)]
        order = np.lexsort((np.asarray(candidate.members), -scores))
        evidence = tuple(
            (rules.class_names[candidate.members[i]], float(scores[i]))
            for rank, i in enumerate(order[:PROVENANCE_MAX_CLASSES])
            if rank == 0 or scores[i] >= PROVENANCE_MIN_SCORE
        )
        rule = f"tag:{candidate.name}" if candidate.kind == "tag" else f"category:{candidate.name}"
        given.append(
            ViewedPrediction(
                name=candidate.name,
                categories=candidate.categories,
                confidence=round(confidence, 4),
                classes=evidence,
                rule=rule,
                view=view_names[candidate.view],
                raw_score=min(1.0, candidate.raw),
                views=tuple(view_names),
                kind=candidate.kind,
            )
        )
        covered.update(candidate.categories)
    given.sort(key=lambda p: (-p.confidence, p.name))
    return given[: rules.max_tags]


def fit_logistic(
    margins: np.ndarray, labels: np.ndarray, *, iterations: int = 50, ridge: float = 1e-3
) -> tuple[float, float]:
    """Return (slope, intercept) of a logistic regression of ``labels`` on ``margins`` (Newton's method).

    Hand-written: two parameters do not justify a scikit-learn dependency.
    """
    x = np.stack([np.asarray(margins, dtype=np.float64), np.ones(len(margins))], axis=1)
    y = np.asarray(labels, dtype=np.float64)
    w = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + ridge * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(w[0]), float(w[1])
