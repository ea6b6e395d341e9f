"""HTML pages for search: results for a query, and the photos of one tag."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from photos.cursors import InvalidCursor
from photos.limits import PAGE_SIZE
from photos.people.selectors import people_search
from photos.search import reasons
from photos.search import selectors as search
from photos.search.text import ParsedQuery

# People shown above the photos: the best few; the API pages through more.
SEARCH_PEOPLE_SIZE = 6


def _page(request: HttpRequest, query: ParsedQuery, *, tags_only: bool = False) -> search.SearchPage:
    try:
        cursor = request.GET.get("cursor")
        return search.search_page(request.user, query, cursor=cursor, size=PAGE_SIZE, tags_only=tags_only)
    except InvalidCursor:
        # A mangled cursor in a shared link: show the first page rather than an error.
        return search.search_page(request.user, query, cursor=None, size=PAGE_SIZE, tags_only=tags_only)


def search_results(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").replace("\x00", " ")
    query = search.parse_query(text)
    page = _page(request, query)
    people = people_search(request.user, text, size=SEARCH_PEOPLE_SIZE)
    return render(request, "photos/search.html", {"q": text, "query": query, "page": page, "people": people})


def tag_detail(request: HttpRequest, name: str) -> HttpResponse:
    # Unknown tags and tags only on photos the visitor may not see answer alike (200, no photos),
    # so nothing tells that a secret tag exists.
    query = search.tag_query(name)
    page = _page(request, query, tags_only=True)
    name, categories = reasons.page_tag(page) or (name.casefold(), [])
    return render(request, "photos/tag.html", {"name": name, "categories": categories, "page": page})
