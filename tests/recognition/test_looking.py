"""Looking at the whole photo (issue 19): views, pooling, hierarchical sums, calibrated decision, real CNN."""

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

from recognition import decision, framing, looking, taxonomy


def photo(name: str) -> Image.Image:
    if name.startswith("motorcycle"):
        return Image.fromarray(data.stereo_motorcycle()[0 if name.endswith("left") else 1]).convert("RGB")
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def plain_background(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    mean = np.asarray(img, dtype=np.float32).reshape(-1, 3).mean(axis=0)
    grain = np.random.default_rng(1).normal(0, 8, size=(size[1], size[0], 3))
    return Image.fromarray(np.clip(mean + grain, 0, 255).astype(np.uint8))


def at_left_of_panorama(img: Image.Image) -> Image.Image:
    width, height = img.size
    canvas = plain_background(img, (3 * height, height))
    canvas.paste(img, (0, 0))
    return canvas


def at_bottom_of_tall_frame(img: Image.Image) -> Image.Image:
    width, height = img.size
    canvas = plain_background(img, (width, 2 * width))
    canvas.paste(img, (0, 2 * width - height))
    return canvas


@pytest.fixture(scope="module")
def predict(classifier):
    return classifier.predict


def tags_of(img: Image.Image, predict) -> list[decision.ViewedPrediction]:
    return looking.tag_photos([looking.photo_views(img)], predict)[0]


def test_views_follow_the_frame():
    assert [v.name for v in framing.first_views(Image.new("RGB", (600, 400)))] == ["centre"]
    panorama = [v.name for v in framing.first_views(Image.new("RGB", (1200, 400)))]
    assert panorama[0] == "centre" and panorama[1].startswith("x1/") and panorama[-1].endswith(panorama[-1][1:])
    left, right = framing.first_views(Image.new("RGB", (1200, 400)))[1 :: len(panorama) - 2]
    assert left.box[0] == 0.0 and right.box[2] == pytest.approx(1.0)
    tall = framing.first_views(Image.new("RGB", (400, 800)))
    assert [v.name for v in tall] == ["centre", "y1/3", "y3/3"] and tall[2].box[3] == pytest.approx(1.0)
    assert all(v.pixels.shape == (224, 224, 3) and v.pixels.dtype == np.uint8 for v in tall)
    second = framing.second_views(Image.new("RGB", (600, 400), "red"), tall)
    assert [v.name for v in second] == ["full", "centre~mirror"]
    assert tuple(second[0].pixels[0, 0]) == framing.LETTERBOX_FILL  # letterboxed above the wide frame


def test_panorama_subject_at_the_side_gets_its_tag_from_its_crop(predict):
    wide = at_left_of_panorama(photo("motorcycle_left"))
    centre_only = taxonomy.map_predictions(predict(framing.centre_view(wide).pixels[None])[0])
    assert "motorcycle" not in {t.name for t in centre_only}  # the centre crop misses it

    tags = {t.name: t for t in tags_of(wide, predict)}
    motorcycle = tags["motorcycle"]
    assert motorcycle.view == "x1/4" and motorcycle.confidence >= decision.MIN_CONFIDENCE["tag"]
    provenance = motorcycle.provenance()
    assert all(entry["view"] == "x1/4" for entry in provenance)
    assert provenance[0]["sum"] == pytest.approx(sum(c["score"] for c in provenance), abs=0.02)
    assert set(provenance[0]["views"]) >= {"centre", "x1/4", "x4/4"}


def test_subject_at_the_bottom_of_a_tall_frame(predict):
    tags = {t.name: t for t in tags_of(at_bottom_of_tall_frame(photo("coffee")), predict)}
    assert tags["coffee"].view == "y3/3"


@pytest.mark.parametrize("name, tag", [("motorcycle_right", "motorcycle"), ("chelsea", "cat"), ("coffee", "coffee")])
def test_mirrored_photo_keeps_its_tag(predict, name, tag):
    original = {t.name for t in tags_of(photo(name), predict)}
    mirrored = {t.name for t in tags_of(ImageOps.mirror(photo(name)), predict)}
    assert tag in original and tag in mirrored


def test_an_uncertain_centre_is_looked_at_again_mirrored_and_whole(predict):
    grey_rocket = ImageOps.grayscale(photo("rocket")).convert("RGB")
    centre = taxonomy.map_predictions(predict(framing.centre_view(grey_rocket).pixels[None])[0])
    views = looking.photo_views(grey_rocket)
    tags = looking.tag_photos([views], predict)[0]
    rocket = next(t for t in tags if t.name == "rocket")
    assert rocket.views == ("centre", "full", "centre~mirror")
    assert len(views.probabilities) == 3
    # Confidence is the calibrated probability of the raw sum kept in the provenance.
    rules = taxonomy.get_taxonomy()
    reference = rules.rule_for_tag("rocket").threshold_for(rules.class_names.index(rocket.classes[0][0]))
    expected = decision.get_calibration().confidence("tag", rocket.raw_score, reference)
    assert rocket.confidence == pytest.approx(expected, abs=1e-4) and rocket.provenance()[0]["sum"] > 0
    assert "rocket" in {t.name for t in centre}  # today's hand threshold gave it; the calibrated one wants a 2nd look


def test_a_confident_photo_costs_one_view(predict):
    views = looking.photo_views(photo("chelsea"))
    tags = looking.tag_photos([views], predict)[0]
    assert [t.name for t in tags][:1] == ["cat"] and len(views.probabilities) == 1 and tags[0].views == ("centre",)


def negative_images() -> dict[str, Image.Image]:
    rng = np.random.default_rng(3)
    images = {name: photo(name) for name in ("brick", "grass", "gravel")}
    images["plain grey"] = Image.new("RGB", (640, 480), (128, 128, 128))
    images["plain blue"] = Image.new("RGB", (640, 480), (40, 80, 200))
    images["noise"] = Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    images["wide noise"] = Image.fromarray(rng.integers(0, 256, (300, 900, 3), dtype=np.uint8))
    return images


def test_negatives_get_no_tag(predict):
    images = negative_images()
    views = [looking.photo_views(img) for img in images.values()]
    results = looking.tag_photos(views, predict)
    assert dict(zip(images, results, strict=True)) == {name: [] for name in images}
    # Nothing came near a tag on a plain colour: it is not looked at a second time.
    looked = {name: len(v.probabilities) - len(v.first) for name, v in zip(images, views, strict=True)}
    assert looked["plain grey"] == looked["plain blue"] == 0 and set(looked.values()) <= {0, 2}


def test_category_sum_speaks_when_no_single_tag_does():
    rules = taxonomy.get_taxonomy()
    probs = np.zeros((1, taxonomy.NUM_CLASSES))
    names = rules.class_names
    for name, p in {"palace": 0.2, "monastery": 0.2, "castle": 0.2, "bell cote": 0.15, "church": 0.15}.items():
        probs[0, names.index(name)] = p
    probs[0] += (1 - probs.sum()) / taxonomy.NUM_CLASSES
    tags = decision.decide(probs, ["centre"], rules=rules)
    assert {t.name for t in tags} == {"building", "architecture"} and {t.kind for t in tags} == {"category"}
    building = next(t for t in tags if t.name == "building")
    assert building.rule == "category:building" and building.raw_score > 0.8
    assert {name for name, _ in building.classes} >= {"palace", "monastery", "castle"}


def test_fit_logistic_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    margins = rng.normal(0, 2, 4000)
    labels = rng.random(4000) < 1 / (1 + np.exp(-(1.5 * margins - 0.5)))
    slope, intercept = decision.fit_logistic(margins, labels)
    assert slope == pytest.approx(1.5, abs=0.15) and intercept == pytest.approx(-0.5, abs=0.15)


def test_a_map_is_drawn_back_where_its_view_was_cut():
    from recognition import explain

    img = Image.new("RGB", (1200, 400), (90, 90, 90))
    right_end = framing.first_views(img)[-1]
    picture = np.asarray(explain.heatmap_on_photo(img, right_end, np.ones((7, 7))), dtype=np.float32)
    assert picture.shape == (112, 336, 3)
    assert picture[:, 230:].mean() > 150 and picture[:, :100].mean() < 80  # hot where the view was, dim elsewhere
