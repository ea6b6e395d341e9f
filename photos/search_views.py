"""HTML pages for search: results for a query, and the photos of one tag."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from photos import search
from photos.models import Photo
from photos.search_text import ParsedQuery

PAGE_SIZE = 24


def _page(request: HttpRequest, photos: QuerySet[Photo], query: ParsedQuery) -> search.SearchPage:
    try:
        return search.search_page(photos, query, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except ValidationError:
        # A mangled cursor in a shared link: show the first page rather than an error.
        return search.search_page(photos, query, cursor=None, size=PAGE_SIZE)


def search_results(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").replace("\x00", " ")
    query = search.parse_query(text)
    page = _page(request, search.photo_search(request.user, query), query)
    return render(request, "photos/search.html", {"q": text, "query": query, "page": page})


def tag_detail(request: HttpRequest, name: str) -> HttpResponse:
    # Unknown tags and tags only on photos the visitor may not see answer alike (200, no photos),
    # so nothing tells that a secret tag exists.
    query = search.tag_query(name)
    page = _page(request, search.tag_photos(request.user, name), query)
    name, categories = search.page_tag(page) or (name.casefold(), [])
    return render(request, "photos/tag.html", {"name": name, "categories": categories, "page": page})
