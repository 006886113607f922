"""Posts as records of the establishment: create and edit; their job descriptions, version by
version. (The register's post pages, with who holds each post, are in appointments.)"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ccpl import access

from . import services
from .forms import JobDescriptionForm, PostForm
from .models import Post, edits_an_organisation, wte_text


def post_for(user, pk):
    """The post, if the user may see it, with ``can_edit``: whether they may change it and its
    job description, in one query."""
    return get_object_or_404(
        Post.objects.visible_to(user).annotate(can_edit=access.flag(Post.objects.editable_by(user))),
        pk=pk)


@login_required
def post_create(request):
    if not edits_an_organisation(request.user):
        raise Http404
    return _edit(request, Post(), "Add a post")


@login_required
def post_edit(request, pk):
    post = get_object_or_404(Post.objects.editable_by(request.user), pk=pk)
    return _edit(request, post, f"Change {post.title}")


def _edit(request, post, title):
    form = PostForm(request.POST or None, instance=post, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.save_post(post=form.instance, by=request.user,
                                      functions=form.cleaned_data["functions"],
                                      statutory_duties=form.cleaned_data["statutory_duties"])
        except ValidationError as error:
            form.add_service_errors(error)
            return _page(request, form, post, title)
        messages.success(request, f"{post.title} has been saved.")
        if post.budget_id:
            allocation = post.budget.allocation()
            if allocation.is_over:
                messages.warning(request, f"{post.budget.name} is now over its envelope of "
                                          f"{wte_text(allocation.envelope)} WTE.")
        return redirect(post)
    return _page(request, form, post, title)


def _page(request, form, post, title):
    return render(request, "form_page.html", {
        "form": form, "title": title, "button": "Save the post",
        "breadcrumbs": [("Posts", "/posts/")] + ([(post.title, post.get_absolute_url())]
                                                 if post.pk else []),
    })


@login_required
def job_description_history(request, pk):
    post = post_for(request.user, pk)
    versions = list(post.job_descriptions.select_related("created_by"))  # newest first
    today = timezone.localdate()
    for version in versions:
        # Only the version in force can be overdue; the ones it replaced are history.
        version.is_current = version is versions[0]
        version.review_overdue = version.is_current and version.is_review_overdue(today)
    return render(request, "roles/job_description_history.html", {
        "post": post, "versions": versions, "can_edit": post.can_edit,
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
        "review_overdue": is_current and job_description.is_review_overdue(),
        "criteria_by_category": job_description.criteria_by_category(),
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
        job_description = services.new_job_description(post=post, **form.version(),
                                                       by=request.user)
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
        current = services.mark_job_description_reviewed(
            job_description=current, on=timezone.localdate(), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {current.version} of the job description is marked "
                                  f"as reviewed; the next review is due on "
                                  f"{current.review_due_on:%-d %B %Y}.")
    return redirect(post)
