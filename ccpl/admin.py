from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from .models import Notification, User


class ListedInline(admin.TabularInline):
    """Rows listed on their parent's page for reference: each is changed on its own page, or
    through the service that writes it, never added or removed here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class RecordAdminMixin:
    """Records a service writes with who, when and why (an extension, a bulk change, a
    decision, a notification): the admin lists and shows them, and never adds or edits one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    list_display = ["email", "full_name", "is_staff", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    ordering = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "password"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                               "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["email", "full_name", "password1", "password2"]}),
    ]


@admin.register(Notification)
class NotificationAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "milestone", "recipient_email", "status", "attempts",
                    "sent_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["recipient_email", "subject"]
    date_hierarchy = "created_at"
