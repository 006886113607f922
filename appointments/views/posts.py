"""The register's posts: the list with who holds each post (and its export), and a post's page
with its holders past, present and future on a timeline."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from ccpl import access, audit
from ccpl.exports import csv_response, xlsx_response
from ccpl.history import with_changes
from ccpl.lists import list_links
from roles.filters import PostListFilter
from roles.models import Post, edits_an_organisation, wte_text

from .. import duties, timeline
from ..models import Appointment

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
    filters = PostListFilter(request.GET, Post.objects.visible_to(request.user), request=request)
    posts = _with_holders(filters.qs, today)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        rows = ([p.title, p.reference, p.role_type.name, p.system.name, p.host_organisation.name,
                 p.wte, p.pas, p.honorarium, p.honorarium_is_pool, p.job_share_allowed,
                 "; ".join(str(a.person) for a in p.holders),
                 min((a.end_date for a in p.holders if a.end_date), default=None)]
                for p in posts.iterator(chunk_size=2000))
        respond = csv_response if export == "csv" else xlsx_response
        return audit.downloaded(request, respond(f"posts-{today}", EXPORT_HEADER, rows), obj=Post)
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    sort = filters.chosen("sort", default="title")
    return render(request, "appointments/post_list.html", {
        "form": filters.form, "downloads": True, "page_obj": page, "posts": page.object_list,
        **list_links(request, sort, ["title", "organisation", "wte"]),
        "can_create": edits_an_organisation(request.user),
    })



@login_required
def post_detail(request, pk):
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related(
            "role_type", "system", "host_organisation", "budget", "responsible_to")
        .annotate(can_edit=access.flag(Post.objects.editable_by(request.user))),
        pk=pk,
    )
    appointments = list(
        Appointment.objects.visible_to(request.user).filter(post=post)
        .select_related("person").prefetch_related("extensions").order_by("start_date", "pk")
    )
    today = timezone.localdate()
    job_description = post.job_descriptions.prefetch_related("criteria").first()
    return render(request, "appointments/post_detail.html", {
        "post": post,
        "wte": wte_text(post.wte),
        "also_accountable_to": post.also_accountable_to.order_by("title"),
        "current": [a for a in appointments if a.is_in_force(today)],
        "past": [a for a in appointments if a.end_date and a.end_date < today],
        "future": [a for a in appointments if a.start_date > today],
        "timeline": timeline.build(appointments, today),
        "job_description": job_description,
        "review_overdue": job_description is not None
        and job_description.is_review_overdue(today),
        "criteria_by_category": job_description.criteria_by_category()
        if job_description else [],
        "can_edit": post.can_edit,
        "history": with_changes(post.history),
        "breadcrumbs": [("Posts", "/posts/")],
    })



@login_required
def duty_register(request):
    """Who holds each statutory duty in each organisation the user can see, today, with any
    holder who does not meet what the duty asks of them (recorded before the rule)."""
    return render(request, "appointments/duty_register.html", {
        "organisations": duties.register(request.user),
        "breadcrumbs": [("Posts", "/posts/")],
    })
