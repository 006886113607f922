from django.urls import path

from . import views

app_name = "roles"
urlpatterns = [
    path("posts/new/", views.post_create, name="post-create"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:pk>/job-description/", views.job_description_history,
         name="job-description-history"),
    path("posts/<int:pk>/job-description/new/", views.job_description_new,
         name="job-description-new"),
    path("posts/<int:pk>/job-description/reviewed/", views.job_description_reviewed,
         name="job-description-reviewed"),
    path("posts/<int:pk>/job-description/<int:version>/", views.job_description_version,
         name="job-description-version"),
]
