"""Bulk extension or cessation: choose appointments by filter, check every change, confirm.
All or nothing. Large batches run in the background and show their progress."""

import secrets

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .. import services
from ..filters import AppointmentFilter
from ..forms import BulkChangeForm, how_agreed
from ..models import Appointment, BulkChange
from ..tasks import apply_bulk_change_task

BACKGROUND_OVER = 200  # batches larger than this run in the background
PLAN_KEY = "bulk-plan:{user}:{token}"
PROGRESS_KEY = "bulk-progress:{token}"
KEEP_SECONDS = 60 * 60


def _filters(request):
    """The appointments a bulk change is about: the active ones the user may extend that the
    appointments page's filters choose."""
    appointments = Appointment.objects.extendable_by(request.user).filter(
        status=Appointment.Status.ACTIVE)
    return AppointmentFilter(request.GET, appointments, request=request)


@login_required
def bulk_change(request):
    user = request.user
    if not Appointment.objects.extendable_by(user).exists():
        raise Http404
    filters = _filters(request)
    chosen = filters.qs.select_related("person", "post__role_type").order_by(
        "end_date", "pk")
    form = BulkChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        appointments = list(chosen)
        if not appointments:
            form.add_error(None, "No appointments match the filter. Change the filter first.")
        else:
            data = {**form.cleaned_data, **how_agreed(form.cleaned_data)}
            if data["kind"] == BulkChange.Kind.EXTEND:
                plan = services.plan_bulk_extension(appointments=appointments,
                                                    on_date=data["on_date"], how=data["how"],
                                                    by=user)
            else:
                plan = services.plan_bulk_change(appointments=appointments, kind=data["kind"],
                                                 on_date=data["on_date"])
            token = secrets.token_urlsafe(16)
            cache.set(PLAN_KEY.format(user=user.pk, token=token), {
                "ids": [a.pk for a in appointments], **data,
            }, KEEP_SECONDS)
            return render(request, "appointments/bulk_check.html", {
                "plan": plan, "data": data, "token": token,
                "kind_label": BulkChange.Kind(data["kind"]).label,
                "background": len(appointments) > BACKGROUND_OVER,
                "breadcrumbs": [("Appointments", "/appointments/"),
                                ("Bulk change", request.get_full_path())],
            })
    return render(request, "appointments/bulk_change.html", {
        "filter_form": filters.form, "form": form, "count": chosen.count(),
        "sample": chosen[:10],
        "breadcrumbs": [("Appointments", "/appointments/")],
    })


@login_required
@require_POST
def bulk_confirm(request, token):
    user = request.user
    plan = cache.get(PLAN_KEY.format(user=user.pk, token=token))
    if plan is None:
        raise Http404
    cache.delete(PLAN_KEY.format(user=user.pk, token=token))
    progress_key = PROGRESS_KEY.format(token=token)
    cache.set(progress_key, {"state": "queued", "done": 0, "total": len(plan["ids"]),
                             "user": user.pk}, KEEP_SECONDS)
    agreed_on = plan.get("agreed_on")
    params = {"ids": plan["ids"], "kind": plan["kind"], "on_date": plan["on_date"].isoformat(),
              "reason": plan["reason"], "agreed_by": plan.get("agreed_by") or "",
              "agreed_on": agreed_on.isoformat() if agreed_on else None,
              "how": plan.get("how") or "request", "evidence": plan.get("evidence") or "",
              "override_reason": plan.get("override_reason") or ""}
    if len(plan["ids"]) > BACKGROUND_OVER:
        apply_bulk_change_task.delay_on_commit(token, user.pk, params)
    else:
        apply_bulk_change_task.apply(args=(token, user.pk, params))
    return redirect("appointments:bulk-progress", token=token)


@login_required
def bulk_progress(request, token):
    progress = cache.get(PROGRESS_KEY.format(token=token))
    if progress is None or progress["user"] != request.user.pk:
        raise Http404
    if progress["state"] == "done":
        return redirect("appointments:bulk-result", pk=progress["bulk_change"])
    return render(request, "appointments/bulk_progress.html", {
        "progress": progress,
        "percent": round(progress["done"] / progress["total"] * 100) if progress["total"] else 0,
    })


@login_required
def bulk_result(request, pk):
    batch = get_object_or_404(BulkChange.objects.select_related("recorded_by"), pk=pk)
    appointments = list(Appointment.objects.visible_to(request.user).filter(
        bulk_changes=batch).select_related("person", "post").order_by("pk"))
    if not appointments:
        raise Http404
    asked = {a.appointment_id: a for a in batch.approval_requests.prefetch_related("decisions")}
    rows = [(a, asked.get(a.pk)) for a in appointments]
    waiting = sum(1 for _, r in rows if r is not None and r.is_pending)
    return render(request, "appointments/bulk_result.html", {
        "batch": batch, "rows": rows, "changed": len(rows) - waiting, "waiting": waiting,
        "breadcrumbs": [("Appointments", "/appointments/")],
    })
