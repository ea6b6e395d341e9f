"""factory_boy factories producing real rows with real (tiny) image files."""

import io

import factory
from django.core.files.base import ContentFile
from PIL import Image

from photos.models import Comment, Follow, Like, Photo, PhotoTag, Tag, User


def _jpeg(color=(90, 140, 200), size=(64, 48)) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="x.jpg")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    owner = factory.SubFactory(UserFactory)
    image = factory.LazyFunction(_jpeg)
    thumbnail = factory.LazyFunction(_jpeg)
    width = 64
    height = 48
    caption = factory.Faker("sentence")
    visibility = Photo.Visibility.PUBLIC
    status = Photo.Status.TAGGED


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag{n}")
    categories = factory.LazyFunction(list)


class PhotoTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhotoTag

    photo = factory.SubFactory(PhotoFactory)
    tag = factory.SubFactory(TagFactory)
    source = PhotoTag.Source.AUTO
    confidence = 0.9


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)
    status = Follow.Status.ACCEPTED


class LikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    photo = factory.SubFactory(PhotoFactory)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    author = factory.SubFactory(UserFactory)
    photo = factory.SubFactory(PhotoFactory)
    text = factory.Faker("sentence")
