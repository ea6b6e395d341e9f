"""The linkify filter: people's text escaped, hashtags and mentions linked."""

from django.template import Context, Template

from photos.templatetags.social_text import linkify


def test_hashtags_and_mentions_become_links_and_the_rest_is_escaped():
    html = linkify("Hi @Bob. see #Café & <b>x</b>, mail a@b.com")
    assert html == (
        'Hi <a class="mention" href="/u/Bob/">@Bob</a>. see <a class="hashtag" href="/tags/caf%C3%A9/">#Café</a>'
        " &amp; &lt;b&gt;x&lt;/b&gt;, mail a@b.com"
    )


def test_a_hashtag_too_long_for_a_tag_stays_text_and_a_script_stays_inert():
    assert linkify("#" + "a" * 65) == "#" + "a" * 65
    rendered = Template("{% load social_text %}{{ text|linkify|linebreaksbr }}").render(
        Context({"text": '<script>alert(1)</script>\n@x"onmouseover=1'})
    )
    assert "<script>" not in rendered and "<br>" in rendered
    assert '<a class="mention" href="/u/x/">@x</a>&quot;onmouseover=1' in rendered
