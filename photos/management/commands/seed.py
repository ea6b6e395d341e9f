"""Build a synthetic site fast: users, tagged photos, follows and views, in bulk, no CNN needed.

    manage.py seed --users 10000 --photos 200000 --follows 100000 --views 500000 --seed 1

Tags follow a Zipf-like distribution over the taxonomy's tags (a few very common, a long
tail), each with plausible CNN classes and confidences, some photos add hashtags, and every
photo is indexed for search. All photos share a handful of small JPEGs written once into
MEDIA_ROOT. The same ``--seed`` gives the same site. Seeded accounts cannot log in with a
password unless ``--password`` gives them one (all the same).
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from photos.explore.item_model import item_model_rebuild
from photos.management.synthetic import (
    ANCHOR,
    ARTICLES,
    HASHTAGS,
    OPENERS,
    PLACES,
    PRIVATE_ACCOUNTS,
    SPAN,
    TAGS_PER_PHOTO,
    VISIBILITY,
    ZIPF_EXPONENT,
    ZIPF_OFFSET,
    TagSpec,
    pick,
    shared_images,
    taxonomy_tags,
    zipf_weights,
)
from photos.models import Follow, Photo, PhotoSearchTerm, PhotoTag, PhotoView, Tag, User
from photos.search.index import TagEvidence, index_photo


@contextmanager
def _timestamps_as_given(*fields: tuple[type, str]) -> Iterator[None]:
    """Let bulk_create keep the timestamps we generate instead of stamping ``now`` (auto_now_add)."""
    saved = [(model._meta.get_field(name), model._meta.get_field(name).auto_now_add) for model, name in fields]
    for field, _ in saved:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in saved:
            field.auto_now_add = value


class Command(BaseCommand):
    help = "Create a synthetic site in bulk: users, tagged and indexed photos, follows and photo views."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=100)
        parser.add_argument("--photos", type=int, default=1000)
        parser.add_argument("--follows", type=int, default=500)
        parser.add_argument("--views", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same site.")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--password", default=None, help="Let every seeded account log in with this password.")
        parser.add_argument(
            "--no-item-model", action="store_true", help="Do not build Explore's item model afterwards (benchmarks)."
        )

    def handle(self, *args, **options) -> None:
        users, photos = options["users"], options["photos"]
        if users < 1 or min(photos, options["follows"], options["views"]) < 0:
            raise CommandError("--users must be at least 1; --photos, --follows and --views cannot be negative.")
        self.rng = random.Random(options["seed"])
        self.batch = options["batch_size"]
        self.quiet = options["verbosity"] == 0
        self.prefix = f"seed{options['seed']}_"
        if User.objects.filter(username__startswith=self.prefix).exists():
            raise CommandError(f"Users named {self.prefix}* exist already: use another --seed or a fresh database.")
        with _timestamps_as_given(
            (Photo, "created_at"), (PhotoTag, "created_at"), (Follow, "created_at"), (PhotoView, "viewed_at")
        ):
            user_rows = self._users(users, options["password"])
            photo_rows = self._photos(user_rows, photos)
            follows = self._follows(user_rows, options["follows"])
            views = self._views(user_rows, photo_rows, options["views"])
        if not options["no_item_model"]:
            # Explore ranks from the item model: build it now rather than at the next beat.
            item_model_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(user_rows)} users ({self.prefix}0 ...), {len(photo_rows)} photos, {follows} follows "
                f"and {views} views."
            )
        )

    def _progress(self, total: int, desc: str, unit: str) -> tqdm:
        return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, disable=self.quiet)

    def _users(self, count: int, password: str | None) -> list[User]:
        # One hash for everybody: hashing is slow by design. None makes an unusable password.
        rng, password = self.rng, make_password(password)
        rows = [
            User(
                username=f"{self.prefix}{i}",
                email=f"{self.prefix}{i}@example.com",
                password=password,
                is_private=rng.random() < PRIVATE_ACCOUNTS,
                date_joined=ANCHOR - SPAN - timedelta(days=rng.uniform(0, 365)),
            )
            for i in range(count)
        ]
        with self._progress(count, "users", "user") as bar:
            for start in range(0, count, self.batch):
                User.objects.bulk_create(rows[start : start + self.batch])
                bar.update(min(self.batch, count - start))
        return rows

    def _photos(self, users: list[User], count: int) -> list[tuple[int, datetime]]:
        """Create the photos with tags and search index, oldest first; return (id, created_at) pairs."""
        rng, specs = self.rng, taxonomy_tags()
        tag_weights = zipf_weights(len(specs), ZIPF_EXPONENT, ZIPF_OFFSET)
        owner_weights = zipf_weights(len(users), 0.8)
        owners = rng.sample(users, len(users))  # who posts most is random, how much follows Zipf
        names = {spec.name for spec in specs} | set(HASHTAGS)
        Tag.objects.bulk_create(
            [Tag(name=spec.name, categories=list(spec.categories)) for spec in specs], ignore_conflicts=True
        )
        Tag.objects.bulk_create([Tag(name=name) for name in HASHTAGS], ignore_conflicts=True)
        tags = Tag.objects.in_bulk(list(names), field_name="name")
        images = shared_images()
        # Sorted first, so ids grow with time as they do on a live site.
        times = sorted(ANCHOR - timedelta(seconds=rng.uniform(0, SPAN.total_seconds())) for _ in range(count))
        created = []
        with self._progress(count, "photos", "photo") as bar:
            for start in range(0, count, self.batch):
                batch = []
                for created_at in times[start : start + self.batch]:
                    chosen = rng.choices(specs, cum_weights=tag_weights, k=3)[: pick(rng, TAGS_PER_PHOTO)]
                    chosen = list({spec.name: spec for spec in chosen}.values())
                    batch.append(
                        self._photo(
                            rng.choices(owners, cum_weights=owner_weights)[0], created_at, chosen, rng.choice(images)
                        )
                    )
                # Indexed before saving: the photo row carries its search document and weights.
                terms = [row for photo, evidence in batch for row in index_photo(photo, evidence)]
                with transaction.atomic():
                    Photo.objects.bulk_create([photo for photo, _ in batch])
                    photo_tags = [
                        PhotoTag(
                            photo=photo,
                            tag=tags[e.name],
                            source=e.source,
                            confidence=e.confidence,
                            classes=list(e.classes),
                            created_at=photo.created_at,
                            rule=f"tag:{e.name}" if e.source == PhotoTag.Source.AUTO else "",
                        )
                        for photo, evidence in batch
                        for e in evidence
                    ]
                    PhotoTag.objects.bulk_create(photo_tags)
                    PhotoSearchTerm.objects.bulk_create(terms, batch_size=self.batch * 5)
                created.extend((photo.pk, photo.created_at) for photo, _ in batch)
                bar.update(len(batch))
        return created

    def _photo(self, owner: User, created_at: datetime, chosen: list[TagSpec], image: tuple[str, str]):
        """Return an unsaved photo and the tags it gets: CNN tags, maybe hashtags too."""
        rng = self.rng
        evidence = []
        for spec in chosen:
            confidence = round(rng.uniform(spec.threshold, 0.99) ** 0.7, 4)  # skewed towards sure
            lead = rng.choice(spec.classes)
            others = rng.sample([c for c in spec.classes if c != lead], min(len(spec.classes) - 1, rng.randint(0, 2)))
            share = rng.uniform(0.5, 0.9)
            classes = [{"name": lead, "score": round(confidence * share, 4)}]
            classes += [{"name": c, "score": round(confidence * (1 - share) / len(others), 4)} for c in others]
            evidence.append(TagEvidence(spec.name, spec.categories, PhotoTag.Source.AUTO, confidence, classes))
        subject = chosen[0].name
        parts = [rng.choice(OPENERS)]
        if rng.random() < 0.6:
            parts += [rng.choice(ARTICLES), subject]
        if rng.random() < 0.7:
            parts.append(rng.choice(PLACES))
        caption = " ".join(parts)
        if rng.random() < 0.3:
            hashtags = rng.sample(HASHTAGS, rng.randint(1, 2))
            if " " not in subject and rng.random() < 0.5:
                hashtags.append(subject)
            caption += " " + " ".join(f"#{name}" for name in hashtags)
            evidence += [TagEvidence(name, (), PhotoTag.Source.HASHTAG, 1.0) for name in hashtags if name != subject]
            if subject in hashtags:
                evidence.append(TagEvidence(subject, chosen[0].categories, PhotoTag.Source.HASHTAG, 1.0))
        photo = Photo(
            owner=owner,
            image=image[0],
            thumbnail=image[1],
            width=640,
            height=480,
            caption=caption,
            visibility=pick(rng, VISIBILITY),
            status=Photo.Status.TAGGED,
            tagged_at=created_at,
            created_at=created_at,
        )
        return photo, evidence

    def _follows(self, users: list[User], count: int) -> int:
        """Follow popular accounts more (Zipf); a private account's followers are sometimes pending."""
        rng, weights = self.rng, zipf_weights(len(users), 0.9)
        count = min(count, len(users) * (len(users) - 1))
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < count:
            follower, followee = rng.choice(users), rng.choices(users, cum_weights=weights)[0]
            if follower.pk != followee.pk:
                pairs.add((follower.pk, followee.pk))
        private = {user.pk for user in users if user.is_private}
        rows = [
            Follow(
                follower_id=a,
                followee_id=b,
                status=Follow.Status.PENDING if b in private and rng.random() < 0.2 else Follow.Status.ACCEPTED,
                created_at=ANCHOR - timedelta(seconds=rng.uniform(0, SPAN.total_seconds())),
            )
            for a, b in sorted(pairs)
        ]
        self._insert(Follow, rows, "follows", "follow")
        return len(rows)

    def _views(self, users: list[User], photos: list[tuple[int, datetime]], count: int) -> int:
        """Record views of popular photos more often, each after the photo was posted."""
        if not photos:
            return 0
        rng = self.rng
        popularity = rng.sample(photos, len(photos))
        weights = zipf_weights(len(popularity), 0.7)
        rows = []
        for _ in range(count):
            photo_id, created_at = rng.choices(popularity, cum_weights=weights)[0]
            viewed_at = created_at + (ANCHOR - created_at) * rng.random()
            rows.append(PhotoView(user_id=rng.choice(users).pk, photo_id=photo_id, viewed_at=viewed_at))
        self._insert(PhotoView, rows, "views", "view")
        return len(rows)

    def _insert(self, model: type, rows: list, desc: str, unit: str) -> None:
        with self._progress(len(rows), desc, unit) as bar:
            for start in range(0, len(rows), self.batch):
                model.objects.bulk_create(rows[start : start + self.batch])
                bar.update(min(self.batch, len(rows) - start))
