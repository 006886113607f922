"""The OpenAPI schema in docs/api/openapi.yaml is the one the code makes: a change to the API
that is not in the checked-in schema (or the other way round) fails here."""

from pathlib import Path

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "api" / "openapi.yaml"


def current_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def test_the_checked_in_schema_is_the_codes():
    assert current_schema() == SCHEMA.read_text(), (
        "docs/api/openapi.yaml differs from the API the code serves: run `make api-schema` "
        "and commit the file.")


def test_the_schema_is_served_and_names_every_endpoint(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/appointments/", "/api/v1/posts/", "/api/v1/people/",
                 "/api/v1/register/{short_name}/", "bearerFormat"):
        assert path in text


def test_the_reference_page_loads_everything_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html and "http" not in html.replace("http-equiv", "")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
