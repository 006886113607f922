from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

# ``schema`` registers the token's security scheme with drf-spectacular, which makes the schema
# from these URLs: imported with them, not on every start (0.09 s of each command and worker).
from . import changes, schema, views  # noqa: F401

app_name = "api"

router = SimpleRouter()
router.register("systems", views.SystemViewSet, basename="system")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("posts", views.PostViewSet, basename="post")
router.register("people", views.PersonViewSet, basename="person")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("vacancies", views.VacancyViewSet, basename="vacancy")
router.register("bodies", views.BodyViewSet, basename="body")
router.register("seats", views.SeatViewSet, basename="seat")
router.register("decisions", changes.DecisionViewSet, basename="decision")
router.register("register", views.PublishedSystemViewSet, basename="register")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/register/<slug:short_name>/",
         views.PublishedRegisterViewSet.as_view({"get": "rows"}), name="register-rows"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="api/swagger_ui.html"), name="docs"),
]
