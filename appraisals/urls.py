from django.urls import path

from ccpl import converters  # noqa: F401 (registers the <token:…> converter)

from . import views

app_name = "appraisals"
urlpatterns = [
    path("appointments/<int:appointment_pk>/360/new/", views.cycle_create, name="cycle-create"),
    path("appraisals/<int:pk>/", views.cycle_detail, name="cycle-detail"),
    path("appraisals/<int:pk>/self-assessment/", views.self_assessment, name="self-assessment"),
    path("appraisals/<int:pk>/raters/", views.nominate, name="nominate"),
    path("appraisals/<int:pk>/raters/<int:rater_pk>/remove/", views.remove_nomination,
         name="remove-nomination"),
    path("appraisals/<int:pk>/raters/<int:rater_pk>/withdraw/", views.revoke, name="revoke"),
    path("appraisals/<int:pk>/raters/submit/", views.submit_nominations,
         name="submit-nominations"),
    path("appraisals/<int:pk>/raters/approve/", views.approve_nominations,
         name="approve-nominations"),
    path("appraisals/<int:pk>/close/", views.close, name="close"),
    path("appraisals/<int:pk>/report/", views.report_page, name="report"),
    path("appraisals/<int:pk>/report.pdf", views.report_pdf, name="report-pdf"),
    path("appraisals/<int:pk>/report/comments/<slug:key>/remove/",
         views.redact, name="redact"),
    path("appraisals/<int:pk>/release/", views.release, name="release"),
    path("appraisals/<int:pk>/outcome/", views.record_outcome, name="outcome"),
    path("appraisals/<int:pk>/sign-off/", views.sign_off, name="sign-off"),
    path("r/<token:token>/", views.rater_page, name="rater"),
]
