from django import forms

from photos.corrections.services import TAG_NAME_MAX_LENGTH


class TagAddForm(forms.Form):
    """The owner's "Add a tag" (its HTML is templates/photos/corrections/_tag_add.html, shown on every photo page)."""

    name = forms.CharField(
        label="Add a tag",
        max_length=TAG_NAME_MAX_LENGTH,
        error_messages={"required": "Type the tag to add."},
    )
