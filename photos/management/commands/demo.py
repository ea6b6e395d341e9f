"""Fill the site with demo people and photos from scikit-image's bundled sample images."""

import io

from django.core.management.base import BaseCommand
from PIL import Image
from tqdm import tqdm

from photos import services
from photos.explore.item_model import item_model_rebuild
from photos.models import User
from photos.people import services as account_services

PASSWORD = "demo-photos-2026"  # noqa: S105 - a published demo password, for demo accounts only
PEOPLE = {
    "alice": ("Alice", "Cats, coffee and everything in between."),
    "bob": ("Bob", "Space nerd. Rockets and stars."),
    "carol": ("Carol", "Science photographer."),
}
# (owner, skimage sample, caption, visibility)
PHOTOS = [
    ("alice", "chelsea", "Chelsea supervising my work #caturday", "public"),
    ("alice", "coffee", "First espresso of the day", "public"),
    ("bob", "rocket", "Launch day! #space", "public"),
    ("bob", "astronaut", "Eileen Collins, NASA #space", "followers"),
    ("carol", "hubble_deep_field", "Thousands of galaxies in one frame", "public"),
    ("carol", "immunohistochemistry", "Lab work #science", "private"),
    ("carol", "colorwheel", "Colour theory", "public"),
]


def _sample_jpeg(name: str) -> io.BytesIO:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(getattr(data, name)()).convert("RGB").save(buffer, "JPEG", quality=92)
    buffer.seek(0)
    return buffer


class Command(BaseCommand):
    help = "Create demo users (alice, bob, carol) and photos from images that ship with scikit-image."

    def handle(self, *args, **options) -> None:
        users = {}
        for username, (display_name, bio) in PEOPLE.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = account_services.user_create(username=username, password=PASSWORD)
            users[username] = account_services.user_update(user=user, display_name=display_name, bio=bio)
        services.follow_create(follower=users["alice"], followee=users["bob"])
        services.follow_create(follower=users["bob"], followee=users["alice"])
        services.follow_create(follower=users["carol"], followee=users["alice"])
        for owner, sample, caption, visibility in tqdm(PHOTOS, desc="demo photos", unit="photo"):
            if users[owner].photos.filter(caption=caption).exists():
                continue
            services.photo_create(
                owner=users[owner], image=_sample_jpeg(sample), caption=caption, visibility=visibility
            )
        # Explore ranks from the item model: build it now rather than at the next beat.
        item_model_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Demo ready: log in as {', '.join(PEOPLE)} with password '{PASSWORD}'."))
