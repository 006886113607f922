from django.urls import path

from .views import appointments, bulk, imports, people

app_name = "appointments"
urlpatterns = [
    path("people/", people.person_list, name="person-list"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/<int:pk>/", people.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person-edit"),
    path("account/equality/", people.equality_edit, name="equality"),
    path("appointments/", appointments.appointment_list, name="appointment-list"),
    path("appointments/new/", appointments.appointment_create, name="appointment-create"),
    path("appointments/<int:pk>/", appointments.appointment_detail, name="appointment-detail"),
    path("appointments/<int:pk>/extend/", appointments.appointment_extend,
         name="appointment-extend"),
    path("appointments/<int:pk>/end/", appointments.appointment_end, name="appointment-end"),
    path("appointments/<int:pk>/decide/", appointments.appointment_decide,
         name="appointment-decide"),
    path("decisions/<int:pk>/agree/", appointments.decision_agree, name="decision-agree"),
    path("decisions/<int:pk>/decline/", appointments.decision_decline, name="decision-decline"),
    path("appointments/bulk/", bulk.bulk_change, name="bulk"),
    path("appointments/bulk/<str:token>/confirm/", bulk.bulk_confirm, name="bulk-confirm"),
    path("appointments/bulk/<str:token>/progress/", bulk.bulk_progress, name="bulk-progress"),
    path("appointments/bulk/result/<int:pk>/", bulk.bulk_result, name="bulk-result"),
    path("import/", imports.import_upload, name="import"),
    path("import/template.csv", imports.import_template, name="import-template"),
    path("import/<str:token>/confirm/", imports.import_confirm, name="import-confirm"),
]
