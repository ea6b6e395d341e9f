"""The worker's settings (read into socialsite.settings): the tagging CNN, and the face and nudity detectors.

Read from the environment like the rest of the settings (see README for the variables).
"""

from datetime import timedelta
from pathlib import Path

import environ

env = environ.Env()
VAR_DIR = Path(__file__).resolve().parent.parent / "var"

# Recognition: the converted model is cached on disk, keyed by weight hash and code version.
RECOGNITION_CACHE_DIR = Path(env.str("RECOGNITION_CACHE_DIR", default=str(VAR_DIR / "cache" / "recognition")))
RECOGNITION_NUM_THREADS = env.int("RECOGNITION_NUM_THREADS", default=2)
RECOGNITION_DECODE_THREADS = env.int("RECOGNITION_DECODE_THREADS", default=2)
# A photo still pending this long after it was queued or last tried is queued again.
RECOGNITION_STALE_AFTER = timedelta(seconds=env.int("RECOGNITION_STALE_SECONDS", default=600))
RECOGNITION_MAX_ATTEMPTS = 5
# Faces: the worker counts faces (BlazeFace, detection only: no recognition, no identity) on the
# pixels it already decoded, with the short- and full-range models merged: close faces and groups,
# and none on the cat or the still lifes, where the back-camera model saw faces (bench/detectors.py).
FACE_DETECTION = env.bool("FACE_DETECTION", default=True)
FACE_DETECTION_MODELS = env.list(
    "FACE_DETECTION_MODELS", default=["face_detection_short_range", "face_detection_full_range"]
)
# Nudity: the worker runs NudeNet (320n on onnxruntime) on the same pixels and marks a photo sensitive
# when an exposed intimate part scores NUDITY_THRESHOLD or more and at least NUDITY_MIN_SKIN of its box
# is skin-coloured (NudeNet sees "exposed buttocks" in a colour wheel at 0.83, in a box 7% skin). An
# owner's unmark of a photo the detector scored NUDITY_REVIEW_THRESHOLD or more waits for a moderator.
NUDITY_DETECTION = env.bool("NUDITY_DETECTION", default=True)
NUDITY_LABELS = env.list(
    "NUDITY_LABELS",
    default=[
        "BUTTOCKS_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "ANUS_EXPOSED",
    ],
)
NUDITY_THRESHOLD = env.float("NUDITY_THRESHOLD", default=0.6)
NUDITY_REVIEW_THRESHOLD = env.float("NUDITY_REVIEW_THRESHOLD", default=0.8)
NUDITY_MIN_SKIN = env.float("NUDITY_MIN_SKIN", default=0.3)
