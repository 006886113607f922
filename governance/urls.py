from django.urls import path

from . import declaration_views, meeting_views, views

app_name = "governance"
urlpatterns = [
    path("governance/", views.index, name="index"),
    path("governance/bodies/", views.body_list, name="body-list"),
    path("governance/bodies/<int:pk>/", views.body_detail, name="body-detail"),
    path("governance/bodies/<int:pk>/seats/", views.seat_add, name="seat-add"),
    path("governance/bodies/<int:pk>/seats/<int:seat_pk>/remove/", views.seat_remove,
         name="seat-remove"),
    path("governance/bodies/<int:pk>/terms/", meeting_views.body_terms, name="body-terms"),
    path("governance/bodies/<int:pk>/meetings/new/", meeting_views.meeting_create,
         name="meeting-create"),
    path("governance/meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting-detail"),
    path("governance/investment/", views.investment_view, name="investment"),
    path("governance/plans/", views.plan_list, name="plan-list"),
    path("governance/plans/<int:pk>/", views.action_plan, name="action-plan"),
    path("governance/plans/<int:pk>/action-plan.pdf", views.action_plan_pdf,
         name="action-plan-pdf"),
    path("governance/plans/<int:pk>/actions/new/", views.action_create, name="action-create"),
    path("governance/actions/<int:pk>/", views.action_detail, name="action-detail"),
    path("governance/actions/<int:pk>/edit/", views.action_edit, name="action-edit"),
    # Declarations of interest.
    path("declarations/", declaration_views.index, name="declarations"),
    path("declarations/people/<int:pk>/", declaration_views.person_declarations,
         name="person-declarations"),
    path("declarations/people/<int:pk>/add/", declaration_views.interest_add,
         name="interest-add"),
    path("declarations/people/<int:pk>/confirm/", declaration_views.declaration_confirm,
         name="declaration-confirm"),
    path("declarations/interests/<int:pk>/change/", declaration_views.interest_edit,
         name="interest-edit"),
    path("declarations/interests/<int:pk>/end/", declaration_views.interest_end,
         name="interest-end"),
    # The published register: no sign-in.
    path("register/", views.register_index, name="register-index"),
    path("register/<slug:short_name>/", views.register, name="register"),
    path("register/<slug:short_name>/register.csv", views.register_csv, name="register-csv"),
    path("register/<slug:short_name>/interests/", declaration_views.register_interests,
         name="register-interests"),
    path("register/<slug:short_name>/interests.csv", declaration_views.register_interests_csv,
         name="register-interests-csv"),
    path("register/<slug:short_name>/diversity/", views.diversity, name="diversity"),
    path("register/<slug:short_name>/diversity.csv", views.diversity_csv, name="diversity-csv"),
    path("register/<slug:short_name>/diversity.pdf", views.diversity_pdf, name="diversity-pdf"),
]
