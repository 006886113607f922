from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Survey


@admin.register(Survey)
class SurveyAdmin(SimpleHistoryAdmin):
    """The survey's dates and who opened and closed it. Invitations and answers are not shown
    here: who answered, and what, is nobody's to read (docs/adr/0014)."""

    list_display = ["__str__", "framework", "opened_on", "closes_on", "closed_at"]
    list_filter = ["system"]
    list_select_related = ["system", "framework"]
    fields = ["system", "framework", "year", "opened_on", "opened_by", "closes_on", "closed_at",
              "closed_by", "chase_every_days"]
    readonly_fields = ["system", "framework", "year", "opened_on", "opened_by", "closed_at",
                       "closed_by"]

    def has_add_permission(self, request):
        return False  # opened through the survey pages, which invite the leaders
