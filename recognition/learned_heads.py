"""Learned heads: a person's own tag, learned from example embeddings. Pure: no ORM, no settings.

A head is one sigmoid unit on the frozen CNN's 1280-d embedding: a kernel and a bias (5 KB as
float32), scored with numpy anywhere (``head_scores``). Training (``head_train``) is the only part
that needs Keras, imported when it runs, in the worker.

One ``model.fit`` trains the k cross-validation heads and the final head together: each is one
output of a Dense layer, and a label of -1 masks a sample out of that output's loss (its held-out
fold). The fit keeps Keras' validation split, for early stopping, and the threshold is chosen on
scores that no head saw in training: each training sample's out-of-fold score, and the validation
split's score by the final head.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

EMBEDDING_SIZE = 1280
MIN_EXAMPLES = 5
MAX_FOLDS = 5
TARGET_PRECISION = 0.9
VALIDATION_SPLIT = 0.2
MAX_EPOCHS = 60
EPOCH_REPEATS = 4
PATIENCE = 4
LEARNING_RATE = 0.05
L2 = 1e-3
# A photo scoring within this much below the threshold is "unsure": shown, not tagged.
UNSURE_BAND = 0.25
WEIGHTS_DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class TrainedHead:
    """What one training produced: the weights, the threshold and how well it did on held-out data."""

    kernel: np.ndarray  # (1280,) float32
    bias: float
    threshold: float
    precision: float  # on held-out scores, at the threshold
    recall: float
    target_met: bool  # whether precision >= TARGET_PRECISION could be had
    folds: int
    epochs: int
    positives: int
    negatives: int
    held_out: dict = field(default_factory=dict)  # {"scores": [...], "labels": [...]}, for the record


def head_pack(kernel: np.ndarray, bias: float) -> bytes:
    """Return a head's weights as little-endian float32 bytes: the kernel, then the bias."""
    kernel = np.asarray(kernel, dtype=np.float32).reshape(-1)
    if kernel.shape != (EMBEDDING_SIZE,):
        raise ValueError(f"expected a kernel of {EMBEDDING_SIZE} values, got {kernel.shape}")
    return np.append(kernel, np.float32(bias)).astype(WEIGHTS_DTYPE).tobytes()


def head_unpack(blob: bytes | memoryview) -> tuple[np.ndarray, float]:
    """Return (kernel, bias) from ``head_pack``'s bytes."""
    values = np.frombuffer(bytes(blob), dtype=WEIGHTS_DTYPE).astype(np.float32)
    if values.shape != (EMBEDDING_SIZE + 1,):
        raise ValueError(f"expected {EMBEDDING_SIZE + 1} float32 values, got {values.shape}")
    return values[:-1], float(values[-1])


def head_scores(embeddings: np.ndarray, kernel: np.ndarray, bias: float) -> np.ndarray:
    """Return the head's probability for each embedding (N, 1280) -> (N,)."""
    logits = np.asarray(embeddings, dtype=np.float32) @ np.asarray(kernel, dtype=np.float32) + np.float32(bias)
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))


def threshold_for_precision(
    scores: np.ndarray, labels: np.ndarray, *, target: float = TARGET_PRECISION
) -> tuple[float, float, float, bool]:
    """Return (threshold, precision, recall, target_met) chosen on held-out scores.

    The lowest threshold whose precision reaches ``target`` (the most recall at that precision);
    when none does, the one with the best precision (ties: more recall), and target_met False.
    """
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    positives = int(labels.sum())
    if positives == 0 or not len(scores):
        return 0.5, 0.0, 0.0, False
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], labels[order]
    true_pos = np.cumsum(hits)
    precision = true_pos / np.arange(1, len(ranked) + 1)
    recall = true_pos / positives
    # Only cut between distinct scores: a threshold takes every sample scoring at least it.
    cut = np.r_[ranked[1:] < ranked[:-1], True]
    candidates = np.flatnonzero(cut)
    met = candidates[precision[candidates] >= target]
    if len(met):
        best = met[np.argmax(recall[met])]
    else:
        best = candidates[np.lexsort((-recall[candidates], -precision[candidates]))[0]]
    threshold = float(ranked[best])
    if best + 1 < len(ranked):  # halfway to the next lower score: a margin for new photos
        threshold = float((ranked[best] + ranked[best + 1]) / 2)
    return threshold, float(precision[best]), float(recall[best]), bool(len(met))


def likely_unpicked(positives: np.ndarray, others: np.ndarray, *, quantile: float = 0.1) -> np.ndarray:
    """Return a mask of ``others`` as close to the examples as the examples are to one another.

    A person's other photos stand for "not this", but some are instances they did not pick (the
    other photos of the dog). Taken as negatives they teach the head against its own tag and count
    as false positives in validation. A photo whose nearest example is at least as similar as the
    examples' nearest other example is for all but the least typical tenth of them is left out of the
    negatives (the reliable-negative step of learning from positive and unlabelled data). Chosen on
    bench/learned_tags.py's faces with 20 unpicked among the other photos: the lower quartile kept
    a quarter of those as negatives and recall at 10 examples fell to 0.5; the tenth, to 0.8.
    """
    positives = np.asarray(positives, dtype=np.float32)
    others = np.asarray(others, dtype=np.float32)
    if len(positives) < 2 or not len(others):
        return np.zeros(len(others), bool)
    among = positives @ positives.T
    np.fill_diagonal(among, -np.inf)
    bar = float(np.quantile(among.max(axis=1), quantile))
    return (others @ positives.T).max(axis=1) >= bar


def _layout(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a sample order whose last VALIDATION_SPLIT is stratified, and each training sample's fold."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for value in (True, False):
        members = rng.permutation(np.flatnonzero(labels == value))
        n_held = int(round(len(members) * VALIDATION_SPLIT))
        if value:  # keep at least MIN_EXAMPLES - 1 positives to learn from
            n_held = min(n_held, max(len(members) - (MIN_EXAMPLES - 1), 1 if len(members) > 1 else 0))
        held.append(members[:n_held])
        train.append(members[n_held:])
    train_ids, held_ids = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(held))
    folds = np.empty(len(train_ids), dtype=int)
    k = max(2, min(MAX_FOLDS, int(labels[train_ids].sum())))
    for value in (True, False):  # stratified: positives dealt round the folds
        members = np.flatnonzero(labels[train_ids] == value)
        folds[members] = (np.arange(len(members)) + (0 if value else rng.integers(k))) % k
    return np.concatenate([train_ids, held_ids]), folds


def head_train(
    positives: np.ndarray,
    negatives: np.ndarray,
    *,
    negative_weights: np.ndarray | None = None,
    on_progress: Callable[[float], None] | None = None,
    seed: int = 0,
) -> TrainedHead:
    """Train a head on positive and negative embeddings with Keras; cross-validate and pick the threshold."""
    positives = np.asarray(positives, dtype=np.float32).reshape(-1, EMBEDDING_SIZE)
    negatives = np.asarray(negatives, dtype=np.float32).reshape(-1, EMBEDDING_SIZE)
    if len(positives) < MIN_EXAMPLES:
        raise ValueError(f"need at least {MIN_EXAMPLES} positive examples, got {len(positives)}")
    if len(negatives) < MIN_EXAMPLES:
        raise ValueError(f"need at least {MIN_EXAMPLES} negative examples, got {len(negatives)}")
    if negative_weights is None:
        negative_weights = np.ones(len(negatives), np.float32)
    x = np.concatenate([positives, negatives])
    labels = np.r_[np.ones(len(positives), bool), np.zeros(len(negatives), bool)]
    # Each class weighs the same in the loss, however many negatives there are.
    weights = np.r_[np.full(len(positives), len(negatives) / len(positives)), negative_weights].astype(np.float32)
    order, folds = _layout(labels, seed)
    x, labels, weights = x[order], labels[order], weights[order]
    n_train, k = len(folds), int(folds.max()) + 1
    y = labels.astype(np.float32)
    targets = np.repeat(y[:, None], k + 1, axis=1)
    for fold in range(k):  # a fold's head never sees that fold
        targets[np.flatnonzero(folds == fold), fold] = -1.0
    # An epoch shows the training samples EPOCH_REPEATS times: Keras' fixed cost per epoch (its data
    # iterator, the validation pass, the callbacks) dwarfs a step on this little data, so fewer, longer
    # epochs learn as well in a fraction of the time. Validation stays the untouched tail: Keras takes
    # the last floor-complement of the samples, exactly _layout's.
    tiled = np.r_[np.tile(np.arange(n_train), EPOCH_REPEATS), np.arange(n_train, len(x))]
    split = (len(x) - n_train - 0.5) / len(tiled)
    kernel, bias, epochs = _fit(
        x[tiled], targets[tiled], weights[tiled], split=split, on_progress=on_progress, seed=seed
    )
    logits = x @ kernel + bias
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))
    held_scores = np.r_[scores[np.arange(n_train), folds], scores[n_train:, k]]
    held_labels = np.r_[labels[:n_train], labels[n_train:]]
    threshold, precision, recall, met = threshold_for_precision(held_scores, held_labels)
    return TrainedHead(
        kernel=kernel[:, k].astype(np.float32),
        bias=float(bias[k]),
        threshold=threshold,
        precision=precision,
        recall=recall,
        target_met=met,
        folds=k,
        epochs=epochs,
        positives=int(labels.sum()),
        negatives=int((~labels).sum()),
        held_out={"scores": np.round(held_scores, 4).tolist(), "labels": held_labels.astype(int).tolist()},
    )


def _fit(x, targets, weights, *, split: float, on_progress, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    import keras  # the worker only: the web process scores with numpy
    from keras import ops

    def masked_binary_crossentropy(y_true, y_pred):
        mask = ops.cast(y_true >= 0, "float32")
        y = ops.clip(y_true, 0.0, 1.0)
        p = ops.clip(y_pred, 1e-7, 1 - 1e-7)
        loss = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
        return ops.sum(loss * mask, axis=-1) / ops.maximum(ops.sum(mask, axis=-1), 1.0)

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if on_progress is not None:
                on_progress(min(1.0, (epoch + 1) / MAX_EPOCHS))

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((EMBEDDING_SIZE,), name="embedding"),
            keras.layers.Dense(
                targets.shape[1], activation="sigmoid", kernel_regularizer=keras.regularizers.l2(L2), name="heads"
            ),
        ],
        name="learned_heads",
    )
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=masked_binary_crossentropy)
    stop = keras.callbacks.EarlyStopping(patience=PATIENCE, min_delta=1e-3, restore_best_weights=True)
    history = model.fit(
        x,
        targets,
        sample_weight=weights,
        epochs=MAX_EPOCHS,
        batch_size=max(16, len(x) // (4 * EPOCH_REPEATS)),
        validation_split=split,
        shuffle=True,
        verbose=0,
        callbacks=[stop, Progress()],
    )
    kernel, bias = model.get_layer("heads").get_weights()
    keras.backend.clear_session()
    return kernel, bias, len(history.history["loss"])
