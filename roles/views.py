"""Posts in the browser: list, export, detail with timeline, create and edit; their job
descriptions, version by version."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from appointments.models import Appointment
from ccpl.exports import csv_response, xlsx_response
from ccpl.history import with_changes
from ccpl.lists import list_links

from . import job_descriptions, timeline
from .forms import JobDescriptionForm, PostFilterForm, PostForm
from .models import Organisation, Post, wte_text

PAGE_SIZE = 25
EXPORT_HEADER = ["Title", "Reference", "Role type", "System", "Host organisation", "WTE", "PAs",
                 "Honorarium", "Honorarium is a pool", "Job share", "Held by", "Term ends"]


def _with_holders(posts, today):
    in_force = Appointment.objects.in_force(today).select_related("person").order_by("pk")
    return posts.select_related("role_type", "system", "host_organisation").prefetch_related(
        Prefetch("appointments", queryset=in_force, to_attr="holders"))


@login_required
def post_list(request):
    today = timezone.localdate()
    form = PostFilterForm(request.GET or {"status": ""}, user=request.user)
    posts = _with_holders(form.filter(Post.objects.visible_to(request.user)), today)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        rows = ([p.title, p.reference, p.role_type.name, p.system.name, p.host_organisation.name,
                 p.wte, p.pas, p.honorarium, p.honorarium_is_pool, p.job_share_allowed,
                 "; ".join(str(a.person) for a in p.holders),
                 min((a.end_date for a in p.holders), default=None)]
                for p in posts.iterator(chunk_size=2000))
        respond = csv_response if export == "csv" else xlsx_response
        return respond(f"posts-{today}", EXPORT_HEADER, rows)
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    sort = (form.cleaned_data.get("sort") if form.is_valid() else "") or "title"
    return render(request, "roles/post_list.html", {
        "form": form, "page_obj": page, "posts": page.object_list,
        **list_links(request, sort, ["title", "organisation", "wte"]),
        "can_create": Organisation.objects.editable_by(request.user).exists(),
    })



@login_required
def post_detail(request, pk):
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related(
            "role_type", "system", "host_organisation", "budget", "responsible_to"),
        pk=pk,
    )
    appointments = list(
        Appointment.objects.visible_to(request.user).filter(post=post)
        .select_related("person").prefetch_related("extensions").order_by("start_date", "pk")
    )
    today = timezone.localdate()
    job_description = post.job_descriptions.prefetch_related("criteria").first()
    return render(request, "roles/post_detail.html", {
        "post": post,
        "wte": wte_text(post.wte),
        "current": [a for a in appointments if a.is_in_force(today)],
        "past": [a for a in appointments if a.end_date < today],
        "future": [a for a in appointments if a.start_date > today],
        "timeline": timeline.build(appointments, today),
        "job_description": job_description,
        "review_overdue": _review_overdue(job_description, today),
        "criteria_by_category": _criteria_by_category(job_description),
        "can_edit": Post.objects.editable_by(request.user).filter(pk=pk).exists(),
        "history": with_changes(post.history),
        "breadcrumbs": [("Posts", "/posts/")],
    })


def _criteria_by_category(job_description):
    if job_description is None:
        return []
    groups = {}
    for criterion in job_description.criteria.all():
        groups.setdefault(criterion.get_category_display(), []).append(criterion)
    return list(groups.items())


def _review_overdue(job_description, today):
    return job_description is not None and job_description.review_due_on < today


@login_required
def post_create(request):
    if not Organisation.objects.editable_by(request.user).exists():
        raise Http404
    return _edit(request, Post(), "Add a post")


@login_required
def post_edit(request, pk):
    post = get_object_or_404(Post.objects.editable_by(request.user), pk=pk)
    return _edit(request, post, f"Change {post.title}")


def _edit(request, post, title):
    form = PostForm(request.POST or None, instance=post, user=request.user)
    if request.method == "POST" and form.is_valid():
        post = form.save(commit=False)
        post._history_user = request.user
        post.save()
        form.save_m2m()
        messages.success(request, f"{post.title} has been saved.")
        if post.budget_id:
            allocation = post.budget.allocation()
            if allocation.is_over:
                messages.warning(request, f"{post.budget.name} is now over its envelope of "
                                          f"{wte_text(allocation.envelope)} WTE.")
        return redirect(post)
    return render(request, "roles/post_form.html", {
        "form": form, "title": title, "post": post,
        "breadcrumbs": [("Posts", "/posts/")] + ([(post.title, post.get_absolute_url())]
                                                 if post.pk else []),
    })


@login_required
def job_description_history(request, pk):
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=pk)
    versions = list(post.job_descriptions.select_related("created_by"))  # newest first
    today = timezone.localdate()
    for version in versions:
        # Only the version in force can be overdue; the ones it replaced are history.
        version.is_current = version is versions[0]
        version.review_overdue = version.is_current and _review_overdue(version, today)
    return render(request, "roles/job_description_history.html", {
        "post": post, "versions": versions,
        "can_edit": Post.objects.editable_by(request.user).filter(pk=pk).exists(),
        "breadcrumbs": [("Posts", "/posts/"), (post.title, post.get_absolute_url())],
    })


@login_required
def job_description_version(request, pk, version):
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=pk)
    job_description = get_object_or_404(
        post.job_descriptions.select_related("created_by").prefetch_related("criteria"),
        version=version)
    is_current = not post.job_descriptions.filter(version__gt=version).exists()
    return render(request, "roles/job_description_version.html", {
        "post": post, "job_description": job_description, "is_current": is_current,
        "review_overdue": is_current and _review_overdue(job_description, timezone.localdate()),
        "criteria_by_category": _criteria_by_category(job_description),
        "breadcrumbs": [("Posts", "/posts/"), (post.title, post.get_absolute_url()),
                        ("Job description versions",
                         reverse("roles:job-description-history", args=[post.pk]))],
    })


@login_required
def job_description_new(request, pk):
    post = get_object_or_404(Post.objects.editable_by(request.user), pk=pk)
    current = post.job_descriptions.prefetch_related("criteria").first()
    form = JobDescriptionForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        job_description = job_descriptions.new_version(post, **form.version(), by=request.user)
        messages.success(request, f"Version {job_description.version} of the job description "
                                  f"has been saved.")
        return redirect(post)
    return render(request, "roles/job_description_form.html", {
        "form": form, "post": post, "current": current,
        "breadcrumbs": [("Posts", "/posts/"), (post.title, post.get_absolute_url())],
    })


@login_required
@require_POST
def job_description_reviewed(request, pk):
    post = get_object_or_404(Post.objects.editable_by(request.user), pk=pk)
    current = post.job_descriptions.first()
    if current is None:
        raise Http404
    try:
        current = job_descriptions.mark_reviewed(current, on=timezone.localdate(),
                                                 by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {current.version} of the job description is marked "
                                  f"as reviewed; the next review is due on "
                                  f"{current.review_due_on:%-d %B %Y}.")
    return redirect(post)
