from django.urls import path

from ccpl import converters  # noqa: F401 (registers the <token:…> converter)

from . import views

app_name = "surveys"
urlpatterns = [
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/frameworks/<int:pk>/new/", views.survey_create, name="survey-create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:pk>/close/", views.survey_close, name="survey-close"),
    path("surveys/<int:pk>/results/", views.results_page, name="results"),
    path("s/<token:token>/", views.answer_page, name="answer"),
]
