"""The API's read endpoints: the pages' scoping, the pages' filters, cursor pagination, flat
rows, and a fixed number of queries per page whatever its size."""

import datetime

import pytest

from appointments import services as appointment_services
from appointments.models import Vacancy
from ccpl import services
from governance.models import Body, Seat

from .factories import AppointmentFactory, PersonFactory, PostFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def token_for(user, scope="read"):
    return services.create_access_token(name="test", scope=scope, days=30, second_factor=True,
                                        by=user)[1]


@pytest.fixture
def api(client):
    """GET as a user, with a token of theirs."""
    def get(user, url, **query):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"} if user else {}
        return client.get(url, query, **headers)
    return get


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_hr_sees_their_systems_appointments_and_not_anothers(api, hr_north, north_appointment,
                                                             south_appointment):
    assert ids(api(hr_north, "/api/v1/appointments/")) == {north_appointment.pk}
    assert api(hr_north, f"/api/v1/appointments/{south_appointment.pk}/").status_code == 404


def test_a_leader_sees_their_own_appointment_only(api, leader, north_appointment, north_post):
    other = AppointmentFactory(post=PostFactory(host_organisation=north_post.host_organisation))
    assert ids(api(leader, "/api/v1/appointments/")) == {north_appointment.pk}
    assert api(leader, f"/api/v1/appointments/{other.pk}/").status_code == 404
    assert ids(api(leader, "/api/v1/systems/")) == set()


def test_an_appointment_row_is_flat_with_its_extensions(api, hr_north, admin_user,
                                                        north_appointment):
    appointment_services.apply_bulk_change(
        appointments=[north_appointment], kind="extend", on_date=D(2027, 9, 30), reason="Winter",
        agreed_by="CMO", agreed_on=D(2026, 11, 1), by=admin_user)
    row = api(hr_north, f"/api/v1/appointments/{north_appointment.pk}/").json()
    assert row["post_title"] == north_appointment.post.title
    assert row["system"] == "NORTH"
    assert row["person_name"] == north_appointment.person.full_name
    assert row["end_date"] == "2027-09-30"
    assert [(e["number"], e["old_end_date"], e["new_end_date"]) for e in row["extensions"]] == [
        (1, "2027-03-31", "2027-09-30")]
    for key, value in row.items():
        if key != "extensions":
            assert not isinstance(value, dict | list), key


def test_the_filters_are_the_list_pages(api, hr_north, north_appointment, north_post):
    ending = AppointmentFactory(post=PostFactory(host_organisation=north_post.host_organisation),
                                start_date=D(2024, 1, 1), end_date=D(2026, 12, 31))
    assert ids(api(hr_north, "/api/v1/appointments/", ending_within=90)) == {ending.pk}
    assert ids(api(hr_north, "/api/v1/appointments/", q=ending.person.family_name)) >= {
        ending.pk}
    assert ids(api(hr_north, "/api/v1/posts/", status="vacant")) == set()


@pytest.mark.parametrize("query, field", [
    ({"ending_within": "45"}, "ending_within"), ({"state": "bogus"}, "state"),
    ({"system": "abc"}, "system"), ({"q": "x" * 101}, "q"), ({"page_size": "0"}, "page_size"),
    ({"page_size": "501"}, "page_size"), ({"page_size": "²"}, "page_size"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
def test_a_bad_filter_is_a_400_naming_it(api, hr_north, north_appointment, query, field):
    response = api(hr_north, "/api/v1/appointments/", **query)
    assert response.status_code == 400
    assert field in response.json()


def test_each_list_page_and_its_endpoint_filter_through_one_filterset():
    """The page adds only its order (``sort``) to the FilterSet its endpoint uses."""
    from api import views
    from appointments.filters import AppointmentListFilter, PersonListFilter, VacancyFilter
    from governance.filters import BodyFilter
    from roles.filters import PostListFilter

    pairs = {views.PostViewSet: PostListFilter, views.PersonViewSet: PersonListFilter,
             views.AppointmentViewSet: AppointmentListFilter, views.VacancyViewSet: VacancyFilter,
             views.BodyViewSet: BodyFilter}
    for viewset, page_filter in pairs.items():
        assert issubclass(page_filter, viewset.filterset_class), viewset
        assert set(page_filter.base_filters) - set(viewset.filterset_class.base_filters) <= {
            "sort"}


@pytest.mark.parametrize(("page", "endpoint", "query", "field", "message"), [
    ("/appointments/", "/api/v1/appointments/", {"ending_within": "45"}, "ending_within",
     "Select a valid choice."),
    ("/posts/", "/api/v1/posts/", {"status": "closed"}, "status", "Select a valid choice."),
    ("/people/", "/api/v1/people/", {"q": "x" * 101}, "q",
     "Ensure this value has at most 100 characters"),
    ("/recruitment/", "/api/v1/vacancies/", {"system": "²"}, "system",
     "Select a valid choice."),
])
def test_a_value_the_page_refuses_the_api_refuses_with_the_same_message(
        client, api, hr_north, north_appointment, page, endpoint, query, field, message):
    from .pages import Client

    browser = Client()
    browser.force_login(hr_north)
    shown = browser.get(page, query)
    assert shown.status_code == 200
    assert message in shown.content.decode()
    answered = api(hr_north, endpoint, **query)
    assert answered.status_code == 400
    assert message in answered.json()[field][0]


def test_the_same_query_lists_the_same_rows_on_the_page_and_in_the_api(
        client, api, hr_north, north_appointment, north_post):
    from .pages import Client

    ending = AppointmentFactory(post=PostFactory(host_organisation=north_post.host_organisation),
                                start_date=D(2024, 1, 1), end_date=D(2026, 12, 31))
    browser = Client()
    browser.force_login(hr_north)
    for query in ({"ending_within": "90"}, {"state": "in_force"}, {"q": ending.post.title}):
        listed = {a.pk for a in browser.get("/appointments/", query).context["appointments"]}
        assert listed == ids(api(hr_north, "/api/v1/appointments/", **query)), query


def test_a_system_the_user_cannot_see_is_a_bad_filter(api, hr_north, south):
    response = api(hr_north, "/api/v1/appointments/", system=south.pk)
    assert response.status_code == 400 and "system" in response.json()


def test_cursor_pagination_walks_every_row_once(api, hr_north, north_post):
    made = {AppointmentFactory(post=PostFactory(host_organisation=north_post.host_organisation))
            .pk for _ in range(7)}
    seen, url, query = [], "/api/v1/appointments/", {"page_size": 3}
    while url:
        body = api(hr_north, url, **query).json()
        assert len(body["results"]) <= 3
        seen += [row["id"] for row in body["results"]]
        url, query = body["next"], {}
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))


def test_people_never_show_equality_data(api, hr_north, north_appointment):
    row = api(hr_north, "/api/v1/people/").json()["results"][0]
    assert not {"age_band", "sex", "ethnic_category", "disability"} & set(row)


def test_vacancies_bodies_and_seats_are_those_of_the_users_systems(api, hr_north, admin_user,
                                                                    north_post, south_post):
    north_vacancy = Vacancy.objects.create(post=north_post, opened_by=admin_user)
    Vacancy.objects.create(post=south_post, opened_by=admin_user)
    bodies = [Body.objects.create(system=post.system, name="Board", kind="board")
              for post in (north_post, south_post)]
    seats = [Seat.objects.create(body=body, post=post)
             for body, post in zip(bodies, (north_post, south_post), strict=True)]
    assert ids(api(hr_north, "/api/v1/vacancies/")) == {north_vacancy.pk}
    assert ids(api(hr_north, "/api/v1/bodies/")) == {bodies[0].pk}
    assert ids(api(hr_north, "/api/v1/seats/")) == {seats[0].pk}
    assert api(hr_north, "/api/v1/seats/", body=bodies[1].pk).status_code == 400
    # A seat held by a named person, not a post.
    named = Seat.objects.create(body=bodies[0], holder_name="Sam Expert",
                                holder_description="Expert by experience", lay=True)
    rows = {row["id"]: row for row in api(hr_north, "/api/v1/seats/").json()["results"]}
    assert (rows[named.pk]["post_id"], rows[named.pk]["post_title"],
            rows[named.pk]["holder_name"], rows[named.pk]["lay"]) == (None, None, "Sam Expert",
                                                                       True)


def test_organisations_and_systems_are_those_granted(api, hr_north, north, north_trust,
                                                     south_trust):
    assert ids(api(hr_north, "/api/v1/systems/")) == {north.pk}
    assert ids(api(hr_north, "/api/v1/organisations/")) == {north_trust.pk}
    assert api(hr_north, "/api/v1/organisations/").json()["results"][0]["system_ids"] == [
        north.pk]


def test_the_published_register_needs_no_token_and_names_only_with_consent(api, north_post):
    north_post.is_published = True
    north_post.save()
    named = AppointmentFactory(post=north_post, start_date=D(2025, 1, 1),
                               person=PersonFactory(consent_to_publish=True))
    AppointmentFactory(post=PostFactory(host_organisation=north_post.host_organisation,
                                        is_published=True), start_date=D(2025, 1, 1))
    systems = api(None, "/api/v1/register/").json()["results"]
    assert [s["short_name"] for s in systems] == ["NORTH"]
    rows = api(None, "/api/v1/register/NORTH/").json()["results"]
    assert sorted(r["name"] for r in rows) == sorted(
        [named.person.full_name, "Held — name not published"])
    assert api(None, "/api/v1/register/NOWHERE/").status_code == 404


def _rows(client, user, url, queries):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"}
    with queries(LISTS[url]):
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(response.json()["results"])


# Queries per page with a token: the token, its use recorded (2), the user's grants on systems
# and organisations (1), the page, and what its rows show; the filter form's own where it
# reads what the user may see (the posts' host organisations, the appointments the user holds).
LISTS = {
    "/api/v1/systems/": 5, "/api/v1/organisations/": 6, "/api/v1/posts/": 7,
    "/api/v1/people/": 6, "/api/v1/appointments/": 7, "/api/v1/vacancies/": 6,
    "/api/v1/bodies/": 5, "/api/v1/seats/": 5,
}


@pytest.mark.parametrize("url", LISTS)
def test_a_page_costs_the_same_queries_at_any_size(client, hr_north, north_post, admin_user,
                                                    url, django_assert_num_queries):
    def grow(n):
        for i in range(n):
            post = PostFactory(host_organisation=north_post.host_organisation)
            appointment = AppointmentFactory(post=post, start_date=D(2024, 1, 1))
            appointment_services.apply_bulk_change(
                appointments=[appointment], kind="extend", on_date=D(2028, 1, 31), reason="r",
                agreed_by="a", agreed_on=D(2026, 11, 1), by=admin_user)
            Vacancy.objects.create(post=post, opened_by=admin_user)
            body = Body.objects.create(system=post.system, name=f"Board {post.pk}-{i}",
                                       kind="board")
            Seat.objects.create(body=body, post=post)

    grow(2)
    small = _rows(client, hr_north, url, django_assert_num_queries)
    grow(5)
    large = _rows(client, hr_north, url, django_assert_num_queries)
    assert large > small or url in ("/api/v1/systems/", "/api/v1/organisations/")


@pytest.mark.parametrize("url", LISTS)
def test_a_page_deep_in_the_cursor_costs_what_the_first_costs(client, hr_north, north_post,
                                                               admin_user, url,
                                                               django_assert_num_queries):
    """What an export meets: following ``next`` to the last page, every page costs the
    same queries as the first (LISTS), exactly."""
    for i in range(5):
        post = PostFactory(host_organisation=north_post.host_organisation)
        appointment = AppointmentFactory(post=post, start_date=D(2024, 1, 1))
        appointment_services.apply_bulk_change(
            appointments=[appointment], kind="extend", on_date=D(2028, 1, 31), reason="r",
            agreed_by="a", agreed_on=D(2026, 11, 1), by=admin_user)
        Vacancy.objects.create(post=post, opened_by=admin_user)
        Seat.objects.create(body=Body.objects.create(system=post.system, name=f"Board {i}",
                                                     kind="board"), post=post)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(hr_north)}"}
    pages, next_url = 0, f"{url}?page_size=2"
    while next_url:
        with django_assert_num_queries(LISTS[url]):
            response = client.get(next_url, **headers)
        assert response.status_code == 200
        next_url, pages = response.json()["next"], pages + 1
    assert pages >= 2 or url in ("/api/v1/systems/", "/api/v1/organisations/")


def test_the_published_register_costs_the_same_queries_at_any_size(client, north_post,
                                                                    django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            post = PostFactory(host_organisation=north_post.host_organisation, is_published=True)
            AppointmentFactory(post=post, start_date=D(2025, 1, 1))
            Seat.objects.create(body=Body.objects.create(system=post.system,
                                                         name=f"Board {post.pk}", kind="board"),
                                post=post)

    sizes = []
    for n in (2, 5):
        grow(n)
        # The system, the page of rows, and the seats of their posts.
        with django_assert_num_queries(3):
            response = client.get("/api/v1/register/NORTH/")
        sizes.append(len(response.json()["results"]))
    assert sizes == [2, 7]


def test_the_decisions_cost_the_same_queries_at_any_size(client, hr_north, cmo_office,
                                                          north_post, django_assert_num_queries):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(cmo_office)}"}
    sizes = []
    for n in (2, 5):
        for _ in range(n):
            appointment = AppointmentFactory(
                post=PostFactory(host_organisation=north_post.host_organisation))
            appointment_services.request_extension(
                appointment=appointment, new_end_date=D(2028, 12, 31), reason="r", by=hr_north)
        # The token and its use (3), the office's grants (2), the page.
        with django_assert_num_queries(5):
            response = client.get("/api/v1/decisions/", **headers)
        sizes.append(len(response.json()["results"]))
    assert sizes == [2, 7]
