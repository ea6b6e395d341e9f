"""Field limits and page sizes, defined once: models, forms, serializers and pages all read them here."""

DISPLAY_NAME_MAX_LENGTH = 80
BIO_MAX_LENGTH = 500
CAPTION_MAX_LENGTH = 2200
COMMENT_MAX_LENGTH = 1000

PAGE_SIZE = 24  # photos per page: grids, feed, search, Explore, and the API's default
MAX_PAGE_SIZE = 100  # the most an API client may ask for in one page
PEOPLE_PAGE_SIZE = 50  # follow requests and other lists of people
