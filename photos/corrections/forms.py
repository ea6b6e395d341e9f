from django import forms

from photos.corrections.services import TAG_NAME_MAX_LENGTH


class TagAddForm(forms.Form):
    name = forms.CharField(
        label="Add a tag",
        max_length=TAG_NAME_MAX_LENGTH,
        help_text="A word or two for what is in the photo; search finds it before the network's guesses.",
        error_messages={"required": "Type the tag to add."},
    )
