"""The label taxonomy: the real rules file, its validation, and mapping probabilities to tags."""

from pathlib import Path

import numpy as np
import pytest

from recognition import taxonomy
from recognition.taxonomy import TAXONOMY_PATH, Taxonomy, load_taxonomy, map_predictions, parse_classes

TEXT = TAXONOMY_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tx() -> Taxonomy:
    return load_taxonomy()


def vector(scores: dict[int, float]) -> np.ndarray:
    probs = np.zeros(1000, dtype=np.float32)
    for index, score in scores.items():
        probs[index] = score
    return probs


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    assert TEXT.count(old) == 1, f"{old!r} must occur exactly once in the real taxonomy"
    path = tmp_path / "taxonomy.toml"
    path.write_text(TEXT.replace(old, new), encoding="utf-8")
    return path


# --- the real files ---------------------------------------------------------------------


def test_class_names_are_imagenet_order():
    names = taxonomy.class_names()
    lines = taxonomy.CLASSES_PATH.read_text(encoding="utf-8").splitlines()
    assert len(names) == 1000
    assert lines[281] == "n02123045\ttabby"
    assert (names[281], names[285], names[967]) == ("tabby", "Egyptian cat", "espresso")
    # First lemmas repeat; the data stays faithful and rules refer to indices.
    assert names[134] == names[517] == "crane"
    assert names[638] == names[639] == "maillot"


def test_real_taxonomy_loads(tx):
    assert tx.version >= 1
    assert tx.class_names == tuple(taxonomy.class_names())
    assert 1 <= tx.max_tags <= 10
    assert all(rule.tag == rule.tag.strip().lower() and rule.tag for rule in tx.rules)
    assert len({rule.tag for rule in tx.rules}) == len(tx.rules)
    assert all(0 < rule.threshold <= 1 for rule in tx.rules)


def test_every_class_is_covered_exactly_once(tx):
    listed = [index for rule in tx.rules for index in rule.classes] + list(tx.ignored)
    assert sorted(listed) == list(range(1000))
    for index in range(1000):
        rule = tx.rule_for(index)
        assert (rule is None) == (index in tx.ignored)
        assert rule is None or index in rule.classes


def test_most_classes_become_tags_and_every_ignore_has_a_reason(tx):
    assert len(tx.ignored) <= 150
    assert all(reason.strip() for reason in tx.ignored.values())


def test_every_category_is_reachable(tx):
    assert taxonomy.all_categories(tx) == set(tx.categories)
    assert 20 <= len(tx.categories) <= 40


@pytest.mark.parametrize(
    ("index", "name", "tag", "categories"),
    [
        (281, "tabby", "cat", {"animal", "pet"}),
        (282, "tiger cat", "cat", {"animal", "pet"}),
        (283, "Persian cat", "cat", {"animal", "pet"}),
        (284, "Siamese cat", "cat", {"animal", "pet"}),
        (285, "Egyptian cat", "cat", {"animal", "pet"}),
        (207, "golden retriever", "dog", {"animal", "pet"}),
        (985, "daisy", "flower", {"plant"}),
        (967, "espresso", "coffee", {"drink", "food"}),
        (698, "palace", "palace", {"building", "architecture"}),
        (657, "missile", "rocket", {"space"}),
        (744, "projectile", "rocket", {"space"}),
        (812, "space shuttle", "rocket", {"space"}),
        (291, "lion", "lion", {"animal", "wildlife"}),
        (292, "tiger", "tiger", {"animal", "wildlife"}),
        (134, "crane", "bird", {"bird"}),
        (517, "crane", "crane", {"vehicle"}),
    ],
)
def test_required_mappings(tx, index, name, tag, categories):
    rule = tx.rule_for(index)
    assert tx.class_names[index] == name
    assert rule.tag == tag
    assert categories <= set(rule.categories)


def test_big_cats_are_not_cats(tx):
    for index in range(286, 294):  # cougar ... cheetah
        assert tx.rule_for(index).tag != "cat"
        assert "pet" not in tx.rule_for(index).categories


def test_all_dog_breeds_are_dogs(tx):
    assert {tx.rule_for(index).tag for index in range(151, 269)} == {"dog"}


def test_tags_by_category(tx):
    grouped = taxonomy.tags_by_category(tx)
    assert {"cat", "dog"} <= set(grouped["pet"])
    assert "lion" in grouped["wildlife"] and "lion" not in grouped["pet"]
    assert set(grouped) == set(tx.categories)


def test_default_taxonomy_is_cached_until_cleared():
    first = taxonomy.get_taxonomy()
    assert taxonomy.get_taxonomy() is first
    assert first.version == taxonomy.TAXONOMY_VERSION
    taxonomy.clear_cache()
    assert taxonomy.get_taxonomy() is not first


# --- validation ---------------------------------------------------------------------------


def test_duplicate_class_is_rejected_naming_it(tmp_path):
    path = write_variant(tmp_path, 'classes = "281-285"', 'classes = "281-285, 291"')
    with pytest.raises(ValueError, match=r"class 291 \(lion\) is listed 2 times: rule 'cat', rule 'lion'"):
        load_taxonomy(path)


def test_missing_class_is_rejected_naming_it(tmp_path):
    path = write_variant(tmp_path, 'classes = "281-285"', 'classes = "281-284"')
    with pytest.raises(ValueError, match=r"not covered by any rule or ignore: 285 \(Egyptian cat\)"):
        load_taxonomy(path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('tag = "cat"', 'tag = "Cat"', "tag must be a non-empty lowercase word"),
        ('tag = "cat"', 'tag = ""', "tag must be a non-empty lowercase word"),
        ('tag = "lion"', 'tag = "tiger"', "tag 'tiger' has more than one rule"),
        ("default_threshold = 0.3", "default_threshold = 0", r"default_threshold must be a number in \(0, 1\]"),
        ("default_threshold = 0.3", "default_threshold = 1.5", r"default_threshold must be a number in \(0, 1\]"),
        ("{ 273 = 0.5, 676 = 0.4 }", "{ 273 = 2, 676 = 0.4 }", r"class_thresholds 273 must be a number in \(0, 1\]"),
        ("{ 273 = 0.5, 676 = 0.4 }", "{ 281 = 0.5 }", "names class '281', which is not one of this rule's classes"),
        ("version = 1", "version = 0", "version must be a positive integer"),
        ('classes = "281-285"', 'classes = "285-281"', "the range runs backwards"),
        ('classes = "281-285"', 'classes = "281-285, 1000"', r"outside 0-999"),
        ('classes = "281-285"', 'classes = "tabby"', "bad class range 'tabby'"),
        ('tag = "cat"\n', 'tag = "cat"\ntreshold = 0.2\n', r"unknown keys \['treshold'\]"),
        ('categories = ["animal", "pet"]\n# 281', 'categories = ["animal", "pets"]\n# 281', r"\['pets'\] are not in"),
        # 120 dog classes get 0.12 from pure noise: a rule must not fire on that.
        ("threshold = 0.3\n# 151", "threshold = 0.2\n# 151", "threshold 0.2 would fire on noise"),
    ],
)
def test_broken_taxonomy_is_rejected(tmp_path, old, new, message):
    with pytest.raises(ValueError, match=message):
        load_taxonomy(write_variant(tmp_path, old, new))


def test_a_broken_rule_still_accounts_for_its_classes(tmp_path):
    path = write_variant(tmp_path, 'tag = "cat"', 'tag = "Cat"')
    with pytest.raises(ValueError) as raised:
        load_taxonomy(path)
    # One mistake, one complaint: not also "281-285 are not covered".
    assert str(raised.value).count("\n  - ") == 1


def test_parse_classes():
    assert parse_classes("151-153, 7") == (151, 152, 153, 7)
    assert parse_classes([3, 1]) == (3, 1)
    with pytest.raises(ValueError, match="a string like"):
        parse_classes("")


# --- mapping probabilities to tags ----------------------------------------------------------


def test_cat_scores_add_up_with_provenance(tx):
    # What the CNN sees in scikit-image's chelsea photo, roughly.
    probs = vector({282: 0.5, 281: 0.25, 285: 0.15, 287: 0.02, 9: 0.005, 283: 0.005})
    [cat] = map_predictions(probs, tx)
    assert cat.name == "cat"
    assert cat.confidence == pytest.approx(0.5 + 0.25 + 0.15 + 0.005)
    assert {"animal", "pet"} <= set(cat.categories)
    assert [name for name, _ in cat.classes] == ["tiger cat", "tabby", "Egyptian cat"]  # Persian under the floor
    assert [score for _, score in cat.classes] == pytest.approx([0.5, 0.25, 0.15])
    assert cat.rule == "tag:cat"


def test_provenance_keeps_at_most_five_classes(tx):
    probs = vector({151 + i: 0.05 for i in range(8)})
    [dog] = map_predictions(probs, tx)
    assert dog.confidence == pytest.approx(0.4)
    assert len(dog.classes) == 5


def test_tags_are_sorted_and_capped(tx):
    probs = vector({291: 0.3, 292: 0.35, 293: 0.3})
    assert [p.name for p in map_predictions(probs, tx)] == ["tiger", "cheetah", "lion"]
    assert [p.name for p in map_predictions(probs, tx, max_tags=2)] == ["tiger", "cheetah"]


def test_uniform_distribution_gives_no_tags(tx):
    assert map_predictions(np.full(1000, 1 / 1000), tx) == []


@pytest.mark.parametrize("spread", [0.5, 1.0])
def test_near_uniform_distributions_give_no_tags(tx, spread):
    rng = np.random.default_rng(7)
    for _ in range(50):
        logits = rng.normal(scale=spread, size=1000)
        probs = np.exp(logits) / np.exp(logits).sum()
        assert probs.max() < 0.05
        assert map_predictions(probs, tx) == []


def test_ignored_class_never_tags(tx):
    index = next(iter(tx.ignored))
    probs = vector({index: 0.99})
    assert map_predictions(probs, tx) == []


def test_threshold_boundary(tx):
    threshold = tx.rule_for(291).threshold
    assert [p.name for p in map_predictions(vector({291: threshold}), tx)] == ["lion"]
    assert map_predictions(vector({291: threshold - 0.001}), tx) == []


def test_class_threshold_applies_when_that_class_leads(tx):
    dog = tx.rule_for(273)  # dingo: wild as often as not
    assert dog.tag == "dog" and dog.threshold_for(273) > dog.threshold
    assert map_predictions(vector({273: dog.threshold_for(273) - 0.01}), tx) == []
    # The same total passes when a breed leads and the dingo only adds to it.
    assert [p.name for p in map_predictions(vector({162: 0.3, 273: 0.15}), tx)] == ["dog"]
    # And when the dingo leads, the total must reach the dingo's threshold.
    assert map_predictions(vector({273: 0.3, 162: 0.15}), tx) == []
    assert [p.name for p in map_predictions(vector({273: 0.3, 162: 0.2}), tx)] == ["dog"]


@pytest.mark.parametrize(
    "probs",
    [np.zeros(999), np.zeros((1, 1000)), np.full(1000, 2.0), np.full(1000, -0.1), np.full(1000, np.nan)],
)
def test_rejects_what_is_not_a_probability_vector(tx, probs):
    with pytest.raises(ValueError, match="expected class probabilities"):
        map_predictions(probs, tx)
