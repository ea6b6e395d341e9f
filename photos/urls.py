from django.contrib.auth import views as auth_views
from django.urls import path

from photos.corrections import views as corrections
from photos.export.views import exports
from photos.faces import views as faces_views
from photos.learned import views as learned
from photos.moderation.views import reports
from photos.sensitive.views import sensitive
from photos.throttles import LoginThrottle, throttle_posts
from photos.views import accounts, explore, notifications, privacy, search, social

urlpatterns = [
    path("", social.home, name="home"),
    path("accounts/signup/", social.signup, name="signup"),
    path("accounts/login/", throttle_posts(LoginThrottle)(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", social.profile_edit, name="profile_edit"),
    path("accounts/settings/", accounts.settings, name="account_settings"),
    path("accounts/email/", accounts.email_change, name="email_change"),
    path("accounts/delete/", accounts.account_delete, name="account_delete"),
    path("accounts/export/", exports.data_export, name="data_export"),
    path("accounts/export/download/<str:signed>/", exports.data_export_download, name="data_export_download"),
    path("learned/", learned.learned_tags, name="learned_tags"),
    path("learned/<int:learned_tag_id>/", learned.learned_tag_detail, name="learned_tag_detail"),
    path("learned/<int:learned_tag_id>/switch/", learned.learned_tag_switch, name="learned_tag_switch"),
    path("learned/<int:learned_tag_id>/delete/", learned.learned_tag_delete, name="learned_tag_delete"),
    path("learned/examples/", learned.learned_tag_example_add, name="learned_tag_example_add"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Each request sends an email: counted per address like sign-in attempts, so nobody floods an inbox.
    path(
        "accounts/password/reset/",
        throttle_posts(LoginThrottle)(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/requests/", privacy.follow_requests, name="follow_requests"),
    path(
        "accounts/requests/<str:username>/approve/",
        privacy.follow_request_approve,
        name="follow_request_approve",
    ),
    path(
        "accounts/requests/<str:username>/decline/",
        privacy.follow_request_decline,
        name="follow_request_decline",
    ),
    path("notifications/", notifications.notifications, name="notifications"),
    path("accounts/notifications/", notifications.notification_settings, name="notification_settings"),
    path("upload/", social.upload, name="upload"),
    path("u/<str:username>/", social.profile, name="profile"),
    path("u/<str:username>/follow/", social.follow_toggle, name="follow_toggle"),
    path("u/<str:username>/block/", privacy.block, name="block"),
    path("u/<str:username>/unblock/", privacy.unblock, name="unblock"),
    path("u/<str:username>/followers/", social.connections, {"side": "followers"}, name="followers"),
    path("u/<str:username>/following/", social.connections, {"side": "following"}, name="following"),
    path("p/<int:photo_id>/", social.photo_detail, name="photo_detail"),
    path("p/<int:photo_id>/like/", social.like_toggle, name="like_toggle"),
    path("p/<int:photo_id>/comments/", social.comment_create, name="comment_create"),
    path("p/<int:photo_id>/delete/", social.photo_delete, name="photo_delete"),
    path("p/<int:photo_id>/edit/", accounts.photo_edit, name="photo_edit"),
    path("p/<int:photo_id>/alt-text/accept/", accounts.photo_alt_text_accept, name="photo_alt_text_accept"),
    path(
        "p/<int:photo_id>/comments/<int:comment_id>/delete/",
        accounts.comment_delete,
        name="comment_delete",
    ),
    path("p/<int:photo_id>/retry/", social.photo_retry, name="photo_retry"),
    path("p/<int:photo_id>/sensitive/", sensitive.photo_sensitive, name="photo_sensitive"),
    path("p/<int:photo_id>/faces/blur/", faces_views.photo_faces_blur, name="photo_faces_blur"),
    path("accounts/sensitive/", sensitive.sensitive_preference, name="sensitive_preference"),
    path("p/<int:key>/report/", reports.report, {"kind": "photo"}, name="photo_report"),
    path("comments/<int:key>/report/", reports.report, {"kind": "comment"}, name="comment_report"),
    path("u/<str:key>/report/", reports.report, {"kind": "account"}, name="account_report"),
    # The owner's tag corrections (photos/corrections/).
    path("p/<int:photo_id>/tags/", corrections.tag_add, name="photo_tag_add"),
    path("p/<int:photo_id>/tags/<str:name>/confirm/", corrections.tag_confirm, name="photo_tag_confirm"),
    path("p/<int:photo_id>/tags/<str:name>/remove/", corrections.tag_remove, name="photo_tag_remove"),
    path("search/", search.search_results, name="search"),
    path("tags/<str:name>/", search.tag_detail, name="tag_detail"),
    path("explore/", explore.explore, name="explore"),
    path("accounts/history/pause/", explore.history_pause, name="history_pause"),
    path("accounts/history/clear/", explore.history_clear, name="history_clear"),
]
