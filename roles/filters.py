"""The filters of the lists of posts and organisations (see ``ccpl/filters.py``)."""

import django_filters
from django import forms
from django.db.models import Q

from ccpl.filters import FilterSet, SortFilter

from .models import Function, Organisation, Post, RoleType, System


def _systems(request):
    return System.objects.visible_to(request.user)


STATUS_CHOICES = [("filled", "Filled"), ("vacant", "Vacant"),
                  ("ending", "Holder's term ends within 180 days"),
                  ("disestablished", "Disestablished")]
POST_SORTS = {
    "title": ("title", "pk"), "-title": ("-title", "-pk"),
    "organisation": ("host_organisation__name", "title", "pk"),
    "-organisation": ("-host_organisation__name", "-title", "-pk"),
    "wte": ("wte", "title", "pk"), "-wte": ("-wte", "-title", "-pk"),
    "system": ("system__name", "title", "pk"), "-system": ("-system__name", "-title", "-pk"),
}


class PostFilter(FilterSet):
    """Posts, as on /posts/ and /api/v1/posts/: current posts unless the status says
    disestablished."""

    q = django_filters.CharFilter(label="Search", max_length=100, method="search",
                                  help_text="Title, reference or host organisation")
    system = django_filters.ModelChoiceFilter(queryset=_systems, empty_label="Any",
                                              label="System")
    organisation = django_filters.ModelChoiceFilter(
        field_name="host_organisation", queryset=Organisation.objects.none(), empty_label="Any",
        label="Host organisation")
    role_type = django_filters.ModelChoiceFilter(queryset=RoleType.objects.all(),
                                                 empty_label="Any", label="Role type")
    function = django_filters.ModelChoiceFilter(field_name="functions",
                                                queryset=Function.objects.all(),
                                                empty_label="Any", label="Function")
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, empty_label="Any current post",
                                         label="Status", method="with_status")

    # A select of every organisation in the country is no use to anyone: above this many, the
    # organisation filter lists the organisations of the chosen system only.
    MAX_ORGANISATION_CHOICES = 150

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            self._limit_organisations(form)
        return self._form

    def _limit_organisations(self, form):
        """Host organisations of the posts the user may see, of the chosen system if any."""
        hosts = Organisation.objects.filter(
            pk__in=Post.objects.visible_to(self.request.user).values("host_organisation"))
        chosen = self._chosen_system(form)
        if chosen is not None:
            hosts = hosts.filter(systems=chosen)
        elif hosts.count() > self.MAX_ORGANISATION_CHOICES:
            hosts = hosts.none()
            form.fields["organisation"].help_text = "Choose a system first."
        form.fields["organisation"].queryset = hosts

    @staticmethod
    def _chosen_system(form):
        """The system the filter names, read by its own field (the organisation choices depend
        on it, so it is needed before the form is validated); None if it names none the user
        may see."""
        try:
            return form.fields["system"].clean(form["system"].data)
        except forms.ValidationError:
            return None

    def search(self, posts, name, value: str):
        return posts.filter(Q(title__icontains=value) | Q(reference__icontains=value)
                            | Q(host_organisation__name__icontains=value))

    def with_status(self, posts, name, value: str):
        match value:
            case "disestablished":
                return posts.filter(disestablished_on__isnull=False)
            case "filled":
                return posts.filled()
            case "vacant":
                return posts.vacant()
            case "ending":
                return posts.ending_within(180)
        return posts

    def filter_queryset(self, posts):
        posts = super().filter_queryset(posts)
        if self.form.cleaned_data.get("status") != "disestablished":
            posts = posts.established()
        return posts


class PostListFilter(PostFilter):
    """The posts page: the filters, and the order its column headers choose."""

    sort = SortFilter(POST_SORTS, default="title")


class OrganisationFilter(FilterSet):
    """Organisations, as on /api/v1/organisations/."""

    q = django_filters.CharFilter(max_length=100, method="search", help_text="Name or ODS code")
    system = django_filters.ModelChoiceFilter(field_name="systems", queryset=_systems,
                                              label="System", help_text="Partners of this system")
    kind = django_filters.ChoiceFilter(choices=Organisation.Kind.choices, empty_label="Any",
                                       label="Kind")

    def search(self, organisations, name, value: str):
        return organisations.filter(Q(name__icontains=value) | Q(ods_code__iexact=value))
