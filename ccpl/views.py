"""The home page, the user's own account page, the calendar feed and the invitation of users."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from guardian.shortcuts import assign_perm

from . import access, calendar, dashboard
from .accounts import invite_user
from .forms import DateField, NHSForm
from .models import Notification, User, new_calendar_token


@login_required
def home(request):
    return render(request, "ccpl/home.html", dashboard.build(request.user))


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
        user.full_name = form.cleaned_data["full_name"]
        user.weekly_digest = form.cleaned_data["weekly_digest"]
        user.save(update_fields=["full_name", "weekly_digest"])
        messages.success(request, "Your details have been saved.")
        return redirect("account")
    return render(request, "ccpl/account.html", {
        "form": form,
        "calendar_url": request.build_absolute_uri(f"/calendar/{user.calendar_token}.ics"),
        "has_totp": access.has_totp(user),
        "breadcrumbs": [("Dashboard", "/")],
    })


@login_required
@require_POST
def reset_calendar(request):
    request.user.calendar_token = new_calendar_token()
    request.user.save(update_fields=["calendar_token"])
    messages.success(request, "Your calendar has a new private address; the old one no longer "
                              "works.")
    return redirect("account")


def calendar_feed(request, token):
    """Private by its address, not by a session: calendar apps cannot sign in."""
    user = get_object_or_404(User, calendar_token=token, is_active=True)
    response = HttpResponse(calendar.feed_for(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ccpl.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


def accessibility(request):
    return render(request, "ccpl/accessibility.html")


class NotificationFilterForm(NHSForm):
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), *Notification.Kind.choices])
    status = forms.ChoiceField(required=False,
                               choices=[("", "Any"), *Notification.Status.choices])
    recipient = forms.CharField(required=False, max_length=254, label="Recipient's e-mail")
    since = DateField(required=False, label="Created on or after")


@login_required
def notification_list(request):
    form = NotificationFilterForm(request.GET or {})
    rows = Notification.objects.visible_to(request.user).select_related("recipient")
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["recipient"]:
            rows = rows.filter(recipient_email__icontains=data["recipient"])
        if data["since"]:
            rows = rows.filter(created_at__date__gte=data["since"])
    else:
        rows = rows.none()
    page = Paginator(rows.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "ccpl/notification_list.html", {
        "form": form, "page_obj": page, "notifications": page.object_list,
        "query_without_page": f"{query.urlencode()}&" if query else "",
    })


class InviteForm(NHSForm):
    KINDS = [("leader", "A leader, to see their own appointment"),
             ("hr", "An HR colleague, to edit the register of an organisation"),
             ("cmo", "The CMO or CNO office of a system, to see it all and agree extensions"),
             ("appraiser", "An appraiser, to see one leader's appointment")]
    email = forms.EmailField(label="E-mail address", error_messages={
        "required": "Enter their e-mail address.",
        "invalid": "Enter an e-mail address like name@nhs.net."})
    full_name = forms.CharField(label="Full name", max_length=200,
                                error_messages={"required": "Enter their name."})
    kind = forms.ChoiceField(label="Who are you inviting?", choices=KINDS,
                             widget=forms.RadioSelect,
                             error_messages={"required": "Select who you are inviting."})
    person = forms.ModelChoiceField(queryset=None, required=False, label="The leader's record")
    organisation = forms.ModelChoiceField(queryset=None, required=False,
                                          label="Organisation (for HR)")
    system = forms.ModelChoiceField(queryset=None, required=False,
                                    label="System (for a CMO or CNO office)")
    appointment = forms.ModelChoiceField(queryset=None, required=False,
                                         label="Appointment (for an appraiser)")

    def __init__(self, *args, user, **kwargs):
        from appointments.models import Appointment, Person
        from roles.models import Organisation, System

        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.editable_by(user).filter(
            user__isnull=True)
        self.fields["organisation"].queryset = Organisation.objects.editable_by(user)
        self.fields["system"].queryset = System.objects.filter(
            pk__in=access.granted_systems(user, access.APPROVE)) if not user.is_superuser \
            else System.objects.all()
        self.fields["appointment"].queryset = Appointment.objects.editable_by(user) \
            .select_related("person", "post")

    def clean(self):
        data = super().clean()
        needed = {"leader": ("person", "Select the leader's record."),
                  "hr": ("organisation", "Select the organisation."),
                  "cmo": ("system", "Select the system."),
                  "appraiser": ("appointment", "Select the appointment.")}.get(data.get("kind"))
        if needed and not data.get(needed[0]):
            self.add_error(*needed)
        return data

    def grants(self):
        data = self.cleaned_data
        match data["kind"]:
            case "hr":
                return [(access.EDIT, data["organisation"])]
            case "cmo":
                return [(access.VIEW, data["system"]), (access.APPROVE, data["system"])]
        return []


def _can_invite(user):
    from roles.models import Organisation

    return user.is_superuser or Organisation.objects.editable_by(user).exists()


@login_required
def invite(request):
    if not _can_invite(request.user):
        raise Http404
    form = InviteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invite_user(email=data["email"], full_name=data["full_name"],
                               by=request.user, grants=form.grants(),
                               person=data["person"] if data["kind"] == "leader" else None)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                for message in messages_:
                    form.add_error(field if field in form.fields else None, message)
        else:
            if data["kind"] == "appraiser":
                assign_perm("appointments.view_appointment", user, data["appointment"])
            messages.success(request, f"{user.email} has been invited and will get an e-mail "
                                      "with a link to choose a password.")
            return redirect("invite")
    return render(request, "ccpl/invite.html", {"form": form})
