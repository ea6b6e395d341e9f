from django.contrib.auth import views as auth_views
from django.urls import path

from photos import explore_views, privacy_views, search_views, views
from photos.throttles import LoginThrottle, throttle_posts

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", throttle_posts(LoginThrottle)(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile_edit, name="profile_edit"),
    path("accounts/requests/", privacy_views.follow_requests, name="follow_requests"),
    path(
        "accounts/requests/<str:username>/approve/",
        privacy_views.follow_request_approve,
        name="follow_request_approve",
    ),
    path(
        "accounts/requests/<str:username>/decline/",
        privacy_views.follow_request_decline,
        name="follow_request_decline",
    ),
    path("upload/", views.upload, name="upload"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/follow/", views.follow_toggle, name="follow_toggle"),
    path("u/<str:username>/block/", privacy_views.block, name="block"),
    path("u/<str:username>/unblock/", privacy_views.unblock, name="unblock"),
    path("u/<str:username>/followers/", views.connections, {"side": "followers"}, name="followers"),
    path("u/<str:username>/following/", views.connections, {"side": "following"}, name="following"),
    path("p/<int:photo_id>/", views.photo_detail, name="photo_detail"),
    path("p/<int:photo_id>/like/", views.like_toggle, name="like_toggle"),
    path("p/<int:photo_id>/comments/", views.comment_create, name="comment_create"),
    path("p/<int:photo_id>/delete/", views.photo_delete, name="photo_delete"),
    path("search/", search_views.search_results, name="search"),
    path("tags/<str:name>/", search_views.tag_detail, name="tag_detail"),
    path("explore/", explore_views.explore, name="explore"),
    path("accounts/history/pause/", explore_views.history_pause, name="history_pause"),
    path("accounts/history/clear/", explore_views.history_clear, name="history_clear"),
]
