from django import forms
from django.contrib.auth.forms import UserCreationForm

from photos.imaging import ACCEPTED
from photos.limits import (
    ALT_TEXT_MAX_LENGTH,
    BIO_MAX_LENGTH,
    CAPTION_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
)
from photos.models import USERNAME_TAKEN, Photo, User
from photos.selectors import username_taken


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "email"]

    def clean_username(self) -> str:
        # The field has NFKC-normalised the name already; the check is the one user_create makes.
        username = self.cleaned_data.get("username")
        if username and username_taken(username):
            raise forms.ValidationError(USERNAME_TAKEN, code="unique")
        return username


def alt_text_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label="Alt text",
        required=False,
        max_length=ALT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        **kwargs,
    )


class UploadForm(forms.Form):
    image = forms.FileField(
        label="Photo",
        help_text="JPEG, PNG, WebP or GIF, up to 25 MB. Location and camera data are removed.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        error_messages={"empty": f"The file is empty. {ACCEPTED}", "required": f"Attach an image. {ACCEPTED}"},
    )
    caption = forms.CharField(
        required=False,
        max_length=CAPTION_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Say something… #hashtags become tags"}),
    )
    visibility = forms.ChoiceField(
        choices=[
            (Photo.Visibility.PUBLIC, "Public: everyone"),
            (Photo.Visibility.FOLLOWERS, "Followers only"),
            (Photo.Visibility.PRIVATE, "Only me"),
        ],
        initial=Photo.Visibility.PUBLIC,
    )
    alt_text = alt_text_field(
        help_text="What is in the photo, for people who cannot see it; keep it short. "
        "Leave it empty and one is drafted from what the network sees, for you to check."
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(required=False, max_length=DISPLAY_NAME_MAX_LENGTH)
    bio = forms.CharField(required=False, max_length=BIO_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))
    is_private = forms.BooleanField(
        required=False, label="Private account", help_text="Only people you approve see your photos."
    )
    avatar = forms.FileField(required=False, label="Avatar")


class CommentForm(forms.Form):
    text = forms.CharField(label="Add a comment", max_length=COMMENT_MAX_LENGTH, widget=forms.TextInput())


class CaptionForm(forms.Form):
    caption = forms.CharField(
        required=False,
        max_length=CAPTION_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="#hashtags become tags; @names mention people.",
    )
    visibility = UploadForm.base_fields["visibility"]
    alt_text = alt_text_field(help_text="What is in the photo, for people who cannot see it; keep it short.")


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address")
    password = forms.CharField(label="Current password", strip=False, widget=forms.PasswordInput)


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
