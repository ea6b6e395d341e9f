from django.urls import path

from photos.apis import explore, notifications, photos, privacy, search, similar, users
from photos.corrections import apis as corrections
from photos.export.apis import exports
from photos.faces.api import PhotoFacesApi
from photos.learned import api as learned
from photos.moderation.apis import reports

urlpatterns = [
    path("auth/register/", users.RegisterApi.as_view(), name="api_register"),
    path("auth/token/", users.TokenApi.as_view(), name="api_token"),
    path("auth/logout/", users.LogoutApi.as_view(), name="api_logout"),
    path("auth/tokens/", users.TokensApi.as_view(), name="api_tokens"),
    path("auth/tokens/<str:token_id>/", users.TokenRevokeApi.as_view(), name="api_token_revoke"),
    path("users/", users.UserSearchApi.as_view(), name="api_users"),
    path("users/me/", users.MeApi.as_view(), name="api_me"),
    path("users/me/history/", explore.HistoryApi.as_view(), name="api_history"),
    path("users/me/follow-requests/", privacy.FollowRequestsApi.as_view(), name="api_follow_requests"),
    path("users/me/follow-requests/<str:username>/", privacy.FollowRequestApi.as_view(), name="api_follow_request"),
    path(
        "users/me/follow-requests/<str:username>/approve/",
        privacy.FollowRequestApproveApi.as_view(),
        name="api_follow_request_approve",
    ),
    path("users/me/blocks/", privacy.BlocksApi.as_view(), name="api_blocks"),
    path("users/<str:username>/", users.UserDetailApi.as_view(), name="api_user"),
    path("users/<str:username>/follow/", users.FollowApi.as_view(), name="api_follow"),
    path("users/<str:username>/block/", privacy.BlockApi.as_view(), name="api_block"),
    path("users/<str:username>/followers/", users.FollowersApi.as_view(), name="api_followers"),
    path("users/<str:username>/following/", users.FollowingApi.as_view(), name="api_following"),
    path("users/<str:username>/photos/", users.UserPhotosApi.as_view(), name="api_user_photos"),
    path("photos/", photos.PhotoCreateApi.as_view(), name="api_photos"),
    path("photos/<int:photo_id>/", photos.PhotoDetailApi.as_view(), name="api_photo"),
    path("photos/<int:photo_id>/like/", photos.LikeApi.as_view(), name="api_like"),
    path("photos/<int:photo_id>/retry/", photos.PhotoRetryApi.as_view(), name="api_photo_retry"),
    path("photos/<int:photo_id>/comments/", photos.CommentsApi.as_view(), name="api_comments"),
    path(
        "photos/<int:photo_id>/comments/<int:comment_id>/",
        photos.CommentDetailApi.as_view(),
        name="api_comment",
    ),
    path("photos/<int:photo_id>/explain/", photos.ExplainApi.as_view(), name="api_explain"),
    path("photos/<int:photo_id>/similar/", similar.SimilarPhotosApi.as_view(), name="api_similar"),
    path("photos/<int:photo_id>/faces/", PhotoFacesApi.as_view(), name="api_photo_faces"),
    # The owner's tag corrections (photos/corrections/).
    path("photos/<int:photo_id>/tags/", corrections.PhotoTagsApi.as_view(), name="api_photo_tags"),
    path("photos/<int:photo_id>/tags/<str:name>/", corrections.PhotoTagApi.as_view(), name="api_photo_tag"),
    path(
        "photos/<int:photo_id>/tags/<str:name>/confirm/",
        corrections.PhotoTagConfirmApi.as_view(),
        name="api_photo_tag_confirm",
    ),
    path("feed/", photos.FeedApi.as_view(), name="api_feed"),
    path("search/", search.SearchApi.as_view(), name="api_search"),
    path("tags/", search.TagListApi.as_view(), name="api_tags"),
    path("tags/<str:name>/photos/", search.TagPhotosApi.as_view(), name="api_tag_photos"),
    path("notifications/", notifications.NotificationsApi.as_view(), name="api_notifications"),
    path("notifications/read/", notifications.NotificationsReadApi.as_view(), name="api_notifications_read"),
    path("mentions/", notifications.MentionSuggestionsApi.as_view(), name="api_mentions"),
    path("recommendations/", explore.ExploreApi.as_view(), name="api_recommendations"),
    path("reports/", reports.ReportsApi.as_view(), name="api_reports"),
    path("users/me/exports/", exports.DataExportsApi.as_view(), name="api_data_exports"),
    path("users/me/exports/<int:export_id>/", exports.DataExportApi.as_view(), name="api_data_export"),
    path(
        "users/me/exports/download/<str:signed>/",
        exports.DataExportDownloadApi.as_view(),
        name="api_data_export_download",
    ),
    path("learned-tags/", learned.LearnedTagsApi.as_view(), name="api_learned_tags"),
    path("learned-tags/<int:learned_tag_id>/", learned.LearnedTagApi.as_view(), name="api_learned_tag"),
    path(
        "learned-tags/<int:learned_tag_id>/active/",
        learned.LearnedTagActiveApi.as_view(),
        name="api_learned_tag_active",
    ),
    path(
        "learned-tags/<int:learned_tag_id>/examples/",
        learned.LearnedTagExamplesApi.as_view(),
        name="api_learned_tag_examples",
    ),
]
