"""The front door: the header offers each user only the pages they can open, every link on the
dashboard and the governance page opens, and anyone can find the published register from the
sign-in page and the footer of every page."""

import re

import pytest
from django.urls import reverse

from . import test_access_walk as get_walk

pytestmark = pytest.mark.django_db
world = get_walk.world  # the GET walk's world: north and south, every kind of object

SIGNED_IN = ["admin", "hr", "cmo", "leader", "appraiser", "outsider"]
LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]*)"')
HEADER = re.compile(r'<nav class="nhsuk-header__navigation".*?</nav>', re.DOTALL)


def links(page):
    """The app's own addresses a page links to."""
    return {href.replace("&amp;", "&") for href in LINK.findall(page)
            if href.startswith("/") and not href.startswith("/static/")}


def header_labels(page):
    nav = HEADER.search(page)
    return re.findall(r'class="nhsuk-header__navigation-link"[^>]*>(?:<strong[^>]*>)?([^<]+)<',
                      nav[0]) if nav else []


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_link_in_the_header_and_on_the_front_pages_opens(client, world, persona):
    users, _ = world
    client.force_login(users[persona])
    followed, failures = set(), []
    for start in (reverse("appointments:dashboard"), reverse("governance:index")):
        page = client.get(start).content.decode()
        assert HEADER.search(page), f"no header navigation on {start}"
        for href in sorted(links(page) - followed):
            followed.add(href)
            status = client.get(href).status_code
            if status != 200:
                failures.append(f"{href} (linked from {start}) as {persona}: {status}")
    assert not failures, "\n".join(failures)


def test_the_header_offers_invitations_only_to_those_who_may_invite(client, world):
    users, _ = world
    offered = {}
    for persona in SIGNED_IN:
        client.force_login(users[persona])
        offered[persona] = header_labels(client.get(reverse("appointments:dashboard"))
                                         .content.decode())
    assert all("Dashboard" in labels for labels in offered.values())
    assert {p for p, labels in offered.items() if "Invite" in labels} == {
        "admin", "hr", "outsider"}
    assert {p for p, labels in offered.items() if "Admin" in labels} == {"admin"}


def test_leaders_are_not_offered_investment_by_function(client, world):
    users, _ = world
    investment = reverse("governance:investment")
    client.force_login(users["leader"])
    assert investment not in links(client.get(reverse("governance:index")).content.decode())
    client.force_login(users["cmo"])
    assert investment in links(client.get(reverse("governance:index")).content.decode())


def test_the_published_register_is_found_from_the_sign_in_page_and_every_footer(client, world):
    register = reverse("governance:register-index")
    for url in (reverse("account_login"), reverse("accessibility"), register):
        assert register in links(client.get(url).content.decode()), url
    assert client.get(register).status_code == 200
    users, _ = world
    client.force_login(users["leader"])
    for url in (reverse("appointments:dashboard"), reverse("appointments:post-list"),
                reverse("account")):
        assert register in links(client.get(url).content.decode()), url
