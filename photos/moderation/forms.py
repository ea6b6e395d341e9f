from django import forms

from photos.limits import REPORT_TEXT_MAX_LENGTH
from photos.moderation.models import Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label="What is wrong?", choices=Report.reason_choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label="Anything to add (optional)",
        required=False,
        max_length=REPORT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
