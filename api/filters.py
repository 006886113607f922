"""The API's filters are the list pages' own filter forms: the same query parameter names, the
same choices (drawn from what the user may see), the same validation. A value a form refuses
answers 400 with the form's message, and nothing is listed."""

from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from roles.models import Organisation, System

# Parameters of the pagination, not of a filter; the API always orders by id.
NOT_A_FILTER = {"cursor", "page_size", "sort", "format"}


def bound(form_class, request, **kwargs):
    """The filter form bound to the request's query, or 400 with its errors."""
    data = {key: value for key, value in request.query_params.items() if key not in NOT_A_FILTER}
    form = form_class(data, **kwargs)
    if not form.is_valid():
        raise ValidationError({field: [error["message"] for error in errors]
                               for field, errors in form.errors.get_json_data().items()})
    return form


def parameters(form_class):
    """The form's fields as OpenAPI query parameters."""
    found = []
    for name, field in form_class.base_fields.items():
        if name in NOT_A_FILTER:
            continue
        description = str(field.help_text or field.label or name.replace("_", " ").capitalize())
        enum = None
        if isinstance(field, forms.ModelChoiceField):
            kind = OpenApiTypes.INT
            description += " (an id)"
        elif isinstance(field, forms.BooleanField):
            kind = OpenApiTypes.BOOL
        elif isinstance(field, forms.TypedChoiceField) and field.coerce is int:
            kind = OpenApiTypes.INT
            enum = [int(value) for value, _ in field.choices if value != ""]
        elif isinstance(field, forms.ChoiceField):
            kind = OpenApiTypes.STR
            enum = [value for value, _ in field.choices if value != ""]
        elif isinstance(field, forms.DateField):
            kind = OpenApiTypes.DATE
        else:
            kind = {"type": "string", **({"maxLength": field.max_length}
                                         if getattr(field, "max_length", None) else {})}
        found.append(OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False,
                                      description=description, enum=enum))
    return found


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, help_text="Name or ODS code")
    system = forms.ModelChoiceField(queryset=System.objects.none(), required=False,
                                    help_text="Partners of this system")
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), *Organisation.Kind.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = System.objects.visible_to(user)

    def filter(self, organisations):
        data = self.cleaned_data
        if data["q"]:
            organisations = organisations.filter(
                Q(name__icontains=data["q"]) | Q(ods_code__iexact=data["q"]))
        if data["system"]:
            organisations = organisations.filter(systems=data["system"])
        if data["kind"]:
            organisations = organisations.filter(kind=data["kind"])
        return organisations


class SystemScopedFilterForm(forms.Form):
    """Governance bodies and seats: those of one system."""

    system = forms.ModelChoiceField(queryset=System.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = System.objects.visible_to(user)
