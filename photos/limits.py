"""Field limits and page sizes, defined once: models, forms, serializers and pages all read them here."""

DISPLAY_NAME_MAX_LENGTH = 80
BIO_MAX_LENGTH = 500
CAPTION_MAX_LENGTH = 2200
COMMENT_MAX_LENGTH = 1000
# Alt text: a sentence or two is what a screen reader should hear, but a photo of a chart, a menu
# or a sign needs room to transcribe it. 1000 is what X/Twitter allows (Mastodon 1500): enough for
# that, short enough that a listener is not read an essay; the upload form says "keep it short".
ALT_TEXT_MAX_LENGTH = 1000

PAGE_SIZE = 24  # photos per page: grids, feed, search, Explore, and the API's default
MAX_PAGE_SIZE = 100  # the most an API client may ask for in one page
FEED_PAGE_SIZE = 12  # full cards on the home feed per fetch (its API pages by PAGE_SIZE)
FEED_COMMENTS = 2  # latest comments shown under each feed card
NOTIFICATION_PAGE_SIZE = 30  # notification groups per page (page and API default)
MENTION_SUGGESTIONS = 8  # names offered while typing an @mention
PEOPLE_PAGE_SIZE = 50  # follow requests and other lists of people
