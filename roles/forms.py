from django import forms
from django.db.models import Q

from ccpl.forms import NHSForm, NHSModelForm

from .models import EstablishmentBudget, Function, Organisation, Post, RoleType, System

STATUS_CHOICES = [("", "Any current post"), ("filled", "Filled"), ("vacant", "Vacant"),
                  ("ending", "Holder's term ends within 180 days"),
                  ("disestablished", "Disestablished")]
SORTS = {
    "title": ("title", "pk"), "-title": ("-title", "-pk"),
    "organisation": ("host_organisation__name", "title", "pk"),
    "-organisation": ("-host_organisation__name", "-title", "-pk"),
    "wte": ("wte", "title", "pk"), "-wte": ("-wte", "-title", "-pk"),
    "system": ("system__name", "title", "pk"), "-system": ("-system__name", "-title", "-pk"),
}


class PostFilterForm(NHSForm):
    """Filters on the list of posts. Every choice comes from what the user can see."""

    q = forms.CharField(label="Search", required=False, max_length=100,
                        help_text="Title, reference or host organisation")
    system = forms.ModelChoiceField(queryset=System.objects.none(), required=False,
                                    empty_label="Any")
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False,
                                          empty_label="Any", label="Host organisation")
    role_type = forms.ModelChoiceField(queryset=RoleType.objects.all(), required=False,
                                       empty_label="Any")
    function = forms.ModelChoiceField(queryset=Function.objects.all(), required=False,
                                      empty_label="Any")
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    sort = forms.ChoiceField(choices=[(k, k) for k in SORTS], required=False,
                             widget=forms.HiddenInput)

    # A select of every organisation in the country is no use to anyone: above this many, the
    # organisation filter lists the organisations of the chosen system only.
    MAX_ORGANISATION_CHOICES = 150

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        systems = System.objects.visible_to(user)
        self.fields["system"].queryset = systems
        hosts = Organisation.objects.filter(
            pk__in=Post.objects.visible_to(user).values("host_organisation"))
        chosen = self.data.get("system", "")
        if chosen.isdigit():
            hosts = hosts.filter(systems=int(chosen))
        elif hosts.count() > self.MAX_ORGANISATION_CHOICES:
            hosts = hosts.none()
            self.fields["organisation"].help_text = "Choose a system first."
        self.fields["organisation"].queryset = hosts

    def filter(self, posts):
        if not self.is_valid():
            return posts.none()
        data = self.cleaned_data
        if data["q"]:
            text = data["q"]
            posts = posts.filter(Q(title__icontains=text) | Q(reference__icontains=text)
                                 | Q(host_organisation__name__icontains=text))
        if data["system"]:
            posts = posts.filter(system=data["system"])
        if data["organisation"]:
            posts = posts.filter(host_organisation=data["organisation"])
        if data["role_type"]:
            posts = posts.filter(role_type=data["role_type"])
        if data["function"]:
            posts = posts.filter(functions=data["function"])
        match data["status"]:
            case "disestablished":
                posts = posts.filter(disestablished_on__isnull=False)
            case "filled":
                posts = posts.filled()
            case "vacant":
                posts = posts.vacant()
            case "ending":
                posts = posts.ending_within(180)
        if data["status"] != "disestablished":
            posts = posts.established()
        return posts.order_by(*SORTS.get(data["sort"] or "title"))


class PostForm(NHSModelForm):
    class Meta:
        model = Post
        fields = ["title", "reference", "role_type", "system", "host_organisation",
                  "responsible_to", "spatial_level", "functions", "wte", "budget",
                  "job_share_allowed", "honorarium", "honorarium_is_pool", "default_term_months",
                  "statutory_duties", "is_published"]
        widgets = {"functions": forms.CheckboxSelectMultiple,
                   "statutory_duties": forms.CheckboxSelectMultiple}
        labels = {"wte": "Whole-time equivalent (WTE)", "honorarium": "Annual honorarium (£)",
                  "default_term_months": "Default term (months)",
                  "is_published": "List this post on the public register"}
        error_messages = {
            "title": {"required": "Enter the title of the post."},
            "role_type": {"required": "Select the role type."},
            "system": {"required": "Select the system."},
            "host_organisation": {"required": "Select the host organisation."},
            "wte": {"required": "Enter the whole-time equivalent, e.g. 0.4.",
                    "invalid": "Enter the whole-time equivalent as a number, e.g. 0.4."},
            "honorarium": {"invalid": "Enter the honorarium as a number of pounds."},
            "default_term_months": {"required": "Enter the default term in months.",
                                    "invalid": "Enter the default term as a whole number."},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.editable_by(user)
        systems = System.objects.filter(
            Q(pk__in=System.objects.editable_by(user).values("pk"))
            | Q(organisations__in=organisations.values("pk"))
        ).distinct()
        self.fields["system"].queryset = systems
        self.fields["host_organisation"].queryset = organisations
        self.fields["budget"].queryset = EstablishmentBudget.objects.filter(
            system__in=systems.values("pk"))
        self.fields["responsible_to"].queryset = Post.objects.visible_to(user).exclude(
            pk=self.instance.pk).select_related("host_organisation")
        self.fields["responsible_to"].label_from_instance = (
            lambda p: f"{p.title} ({p.host_organisation.name})")
