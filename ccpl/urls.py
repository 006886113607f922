from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views

# The admin signs in through allauth too, so it gets the same rate limits and second factor.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "CCPL administration"
admin.site.site_title = "CCPL administration"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/calendar/reset/", views.reset_calendar, name="account-calendar-reset"),
    path("account/tokens/new/", views.token_create, name="account-token-create"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="account-token-revoke"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("reminders/", views.notification_list, name="notification-list"),
    path("", include("roles.urls")),
    path("", include("appointments.urls")),
    path("", include("appraisals.urls")),
    path("", include("governance.urls")),
    path("", include("surveys.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
