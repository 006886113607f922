from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin signs in through allauth too, so it gets the same rate limits and second factor.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "CCPL administration"
admin.site.site_title = "CCPL administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
]
