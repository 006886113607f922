"""The user's own account page, the reminders log and the accessibility statement."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import access, services
from .filters import NotificationFilter
from .forms import NHSForm
from .lists import list_links
from .middleware import passed_second_factor
from .models import AccessToken, Notification


class AccountForm(NHSForm):
    full_name = forms.CharField(max_length=200, label="Your name",
                                error_messages={"required": "Enter your name."})
    weekly_digest = forms.BooleanField(
        required=False, label="Send me one weekly summary instead of single reminders",
        help_text="Everything ending or overdue in the register you can see, every Monday.",
    )


@login_required
def account(request):
    user = request.user
    form = AccountForm(request.POST or None, initial={"full_name": user.full_name,
                                                       "weekly_digest": user.weekly_digest})
    if request.method == "POST" and form.is_valid():
        services.update_account(user=user, **form.cleaned_data)
        messages.success(request, "Your details have been saved.")
        return redirect("account")
    return render(request, "ccpl/account.html", {
        "form": form,
        "calendar_url": request.build_absolute_uri(
            reverse("appointments:calendar-feed", args=[user.calendar_token])),
        "has_totp": access.has_totp(user),
        "tokens": user.access_tokens.all(),
        "breadcrumbs": [("Dashboard", "/")],
    })


@login_required
@require_POST
def reset_calendar(request):
    services.new_calendar_address(user=request.user)
    messages.success(request, "Your calendar has a new private address; the old one no longer "
                              "works.")
    return redirect("account")


def accessibility(request):
    return render(request, "ccpl/accessibility.html")


@login_required
def notification_list(request):
    filters = NotificationFilter(request.GET, Notification.objects.visible_to(request.user),
                                 request=request)
    rows = filters.qs.select_related("recipient").order_by("-created_at", "-pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "ccpl/notification_list.html", {
        "form": filters.form, "page_obj": page, "notifications": page.object_list,
        "query_without_page": list_links(request, "", [])["query_without_page"],
    })


# --- Personal access tokens for the API --------------------------------------------------------

class AccessTokenForm(NHSForm):
    DAYS = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"),
            (services.MAX_TOKEN_DAYS, "1 year")]

    name = forms.CharField(max_length=100, label="What is the token for?",
                           help_text="For example: the BI team's nightly extract.",
                           error_messages={"required": "Enter what the token is for."})
    scope = forms.ChoiceField(
        label="What may it do?", widget=forms.RadioSelect,
        choices=[(AccessToken.Scope.READ, "Read the register"),
                 (AccessToken.Scope.WRITE,
                  "Read and change the register (appoint, extend, end, decide)")],
        error_messages={"required": "Select what the token may do."})
    days = forms.TypedChoiceField(
        label="How long does it last?", coerce=int, choices=DAYS, widget=forms.RadioSelect,
        error_messages={"required": "Select how long the token lasts."})


@login_required
def token_create(request):
    """Make a personal access token; its secret is shown on this page once, and never again."""
    form = AccessTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.create_access_token(
                **form.cleaned_data, second_factor=passed_second_factor(request),
                by=request.user)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            response = render(request, "ccpl/token_created.html", {
                "token": token, "secret": secret,
                "breadcrumbs": [("Your account", reverse("account"))]})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "form_page.html", {
        "form": form, "title": "Make an API token", "button": "Make the token",
        "breadcrumbs": [("Your account", reverse("account"))],
    })


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(request.user.access_tokens, pk=pk)
    services.revoke_access_token(token=token, by=request.user)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("account")
