"""Governance: seats that follow the post, investment by function, and the action plan."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from appointments import services
from governance import investment, plan
from governance import services as governance
from governance.models import Action, ActionUpdate, Body, Framework, Priority, Seat, Status
from roles.models import Function, Post

from .factories import AppointmentFactory, PersonFactory, PostFactory, UserFactory
from .pages import Client, as_user, date_fields, queries, shown

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def board(north):
    return Body.objects.create(system=north, name="System Quality Board", kind="board")


# --- bodies and seats ------------------------------------------------------------------------

class TestBodyList:
    def test_the_list_filters_by_system_as_the_api_does(self, client, admin_user, board, south):
        southern = Body.objects.create(system=south, name="South Clinical Council",
                                       kind="council")
        as_user(client, admin_user)
        every = client.get(reverse("governance:body-list")).content.decode()
        assert board.name in every and southern.name in every
        page = client.get(reverse("governance:body-list"), {"system": south.pk})
        assert page.status_code == 200
        assert [b.pk for b in page.context["bodies"]] == [southern.pk]

    def test_a_system_out_of_reach_is_refused_with_a_message(self, client, hr_north, board,
                                                             south):
        Body.objects.create(system=south, name="South Clinical Council", kind="council")
        page = as_user(client, hr_north).get(reverse("governance:body-list"),
                                             {"system": south.pk})
        text = page.content.decode()
        assert page.status_code == 200
        assert "Select a valid choice." in text
        assert "South Clinical Council" not in text and board.name not in text


class TestSeats:
    def test_a_seat_follows_whoever_holds_the_post(self, client, hr_north, board, north_post,
                                                   admin_user):
        Seat.objects.create(body=board, post=north_post, role="chair")
        first = AppointmentFactory(post=north_post, start_date=D(2024, 1, 1),
                                   end_date=D(2027, 12, 31),
                                   person=PersonFactory(given_name="Ottoline",
                                                        family_name="Brask"))
        page = as_user(client, hr_north).get(board.get_absolute_url()).content.decode()
        assert "Ottoline Brask" in page
        services.end_early(appointment=first, on=D(2026, 11, 1), reason="Moved on",
                           by=admin_user)
        AppointmentFactory(post=north_post, start_date=D(2026, 11, 2), end_date=D(2029, 11, 1),
                           person=PersonFactory(given_name="Percival", family_name="Strand"))
        page = client.get(board.get_absolute_url()).content.decode()
        assert "Percival Strand" in page and "Ottoline Brask" not in page

    def test_a_shared_post_shows_each_holder_of_today_in_the_order_they_were_appointed(
            self, client, hr_north, board, north_post, north):
        north_post.job_share_allowed = True
        north_post.save()
        Seat.objects.create(body=board, post=north_post, role="member")
        other_post = PostFactory(system=north)
        Seat.objects.create(body=board, post=other_post, role="member")
        first, second = (
            AppointmentFactory(post=north_post, start_date=D(2025, 1, 1), end_date=D(2028, 1, 1),
                               wte=Decimal("0.5"), person=PersonFactory())
            for _ in range(2))
        AppointmentFactory(post=north_post, start_date=D(2020, 1, 1), end_date=D(2022, 1, 1),
                           person=PersonFactory(given_name="Former", family_name="Holder"))
        AppointmentFactory(post=other_post, start_date=D(2025, 1, 1), end_date=D(2028, 1, 1),
                           person=PersonFactory(given_name="Other", family_name="Holder"))
        page = as_user(client, hr_north).get(board.get_absolute_url()).content.decode()
        links = [f'<a class="nhsuk-link" href="{p.get_absolute_url()}">{shown(p)}</a>'
                 for p in (first.person, second.person)]
        assert ", ".join(links) in page
        assert "Former Holder" not in page and page.count("Other Holder") == 1

    def test_a_vacant_seat_says_so(self, client, hr_north, board, north_post):
        Seat.objects.create(body=board, post=north_post)
        page = as_user(client, hr_north).get(board.get_absolute_url()).content.decode()
        assert "Vacant" in page

    def test_the_members_table_escapes_what_users_typed(self, client, hr_north, board,
                                                        north_post):
        Seat.objects.create(body=board, post=north_post, role="chair", capability="<i>Q</i>",
                            executive=True, clinical=True)
        Seat.objects.create(body=board, holder_name="<b>Nia</b> & Co", role="member",
                            holder_description="<script>alert(1)</script>",
                            holder_account=UserFactory(), lay=True)
        page = as_user(client, hr_north).get(board.get_absolute_url()).content.decode()
        assert "<b>Nia</b>" not in page and "<script>alert" not in page and "<i>Q" not in page
        assert "&lt;b&gt;Nia&lt;/b&gt; &amp; Co" in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;i&gt;Q&lt;/i&gt;<br><span class=\"nhsuk-body-s\">Quorum: executive, " \
               "clinician</span>" in page
        assert '<strong class="nhsuk-tag nhsuk-tag--blue">Chair</strong>' in page
        assert "Not a post<br>" in page and "Signs in to the register" in page
        assert f'href="{north_post.get_absolute_url()}">{shown(north_post.title)}</a>' in page

    def test_each_remove_button_carries_a_token_the_csrf_check_accepts(self, hr_north, board,
                                                                       north_post):
        seat = Seat.objects.create(body=board, post=north_post)
        browser = as_user(Client(enforce_csrf_checks=True), hr_north)
        page = browser.get(board.get_absolute_url()).content.decode()
        action = reverse("governance:seat-remove", args=[board.pk, seat.pk])
        form = re.search(rf'<form method="post" action="{action}"><input type="hidden" '
                         r'name="csrfmiddlewaretoken" value="([^"]+)">', page)
        assert form, "the seat has no remove button"
        assert browser.post(action).status_code == 403  # without the token
        assert Seat.objects.filter(pk=seat.pk).exists()
        response = browser.post(action, {"csrfmiddlewaretoken": form.group(1)})
        assert response.status_code == 302 and not Seat.objects.filter(pk=seat.pk).exists()

    def test_a_chair_reads_the_members_but_is_offered_no_remove_button(self, client, board,
                                                                       north_appointment):
        Seat.objects.create(body=board, post=north_appointment.post, role="chair")
        page = as_user(client, north_appointment.person.user).get(board.get_absolute_url())
        assert page.status_code == 200
        text = page.content.decode()
        assert shown(north_appointment.person) in text and "Remove" not in text

    def test_a_person_page_shows_the_bodies_they_sit_on(self, client, hr_north, board,
                                                        north_appointment):
        Seat.objects.create(body=board, post=north_appointment.post, role="co_chair",
                            capability="Quality and safety")
        page = as_user(client, hr_north).get(
            north_appointment.person.get_absolute_url()).content.decode()
        assert "System Quality Board" in page and "co-chair" in page

    def test_hr_and_the_cmo_office_add_seats(self, client, cmo_office, board, north_post):
        as_user(client, cmo_office)
        # The body page links to the seat's own page; the list of every post is only there.
        body_page = client.get(board.get_absolute_url()).content.decode()
        add = reverse("governance:seat-add", args=[board.pk])
        assert f'href="{add}"' in body_page and 'id="id_post"' not in body_page
        form_page = client.get(add).content.decode()
        assert 'id="id_post"' in form_page and north_post.title in form_page
        response = client.post(
            reverse("governance:seat-add", args=[board.pk]),
            {"post": north_post.pk, "role": "member", "capability": "Population health"})
        assert response.status_code == 302
        seat = Seat.objects.get()
        assert seat.history.first().history_user == cmo_office

    def test_a_voting_seat_is_shown_on_the_body_and_on_the_holders_page(
            self, client, hr_north, board, north_appointment):
        response = as_user(client, hr_north).post(
            reverse("governance:seat-add", args=[board.pk]),
            {"post": north_appointment.post_id, "role": "member", "voting": "on"})
        assert response.status_code == 302
        seat = Seat.objects.get()
        assert seat.voting and seat.role_text == "Member (voting)"
        body_page = client.get(board.get_absolute_url()).content.decode()
        assert ">Voting<" in body_page
        person_page = client.get(north_appointment.person.get_absolute_url()).content.decode()
        assert "System Quality Board</a> — member (voting), as" in person_page

    def test_someone_in_attendance_does_not_vote(self, client, hr_north, board, north_post):
        response = as_user(client, hr_north).post(
            reverse("governance:seat-add", args=[board.pk]),
            {"post": north_post.pk, "role": "attendee", "voting": "on"})
        assert response.status_code == 200
        assert "Someone in attendance does not vote" in response.content.decode()
        assert not Seat.objects.exists()
        with pytest.raises(IntegrityError), transaction.atomic():
            Seat.objects.create(body=board, post=north_post, role="attendee", voting=True)

    def test_a_seat_needs_a_post_of_the_same_system(self, client, hr_north, board, south_post):
        response = as_user(client, hr_north).post(
            reverse("governance:seat-add", args=[board.pk]), {"post": south_post.pk,
                                                              "role": "member"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not Seat.objects.exists()

    def test_others_cannot_change_seats(self, client, outsider, board, north_post):
        seat = Seat.objects.create(body=board, post=north_post)
        as_user(client, outsider)
        assert client.post(reverse("governance:seat-add", args=[board.pk]),
                           {"post": north_post.pk, "role": "member"}).status_code == 404
        assert client.post(reverse("governance:seat-remove",
                                   args=[board.pk, seat.pk])).status_code == 404
        assert Seat.objects.count() == 1

    def test_the_body_page_costs_the_same_whatever_its_size(self, client, hr_north, board,
                                                            north_trust):
        def add(n):
            for _ in range(n):
                post = PostFactory(host_organisation=north_trust)
                Seat.objects.create(body=board, post=post)
                AppointmentFactory(post=post, start_date=D(2025, 1, 1))
        add(2)
        as_user(client, hr_north)
        few = queries(client, board.get_absolute_url())
        add(5)
        assert queries(client, board.get_absolute_url()) == few


# --- investment by function ------------------------------------------------------------------

class TestInvestment:
    def test_a_post_serving_two_functions_counts_half_to_each(self, north_trust):
        pathways = Function.objects.create(name="Care pathways", order=1)
        networks = Function.objects.create(name="Clinical networks", order=2)
        shared = PostFactory(host_organisation=north_trust, wte=Decimal("0.40"),
                             honorarium=Decimal("10000"))
        shared.functions.set([pathways, networks])
        only = PostFactory(host_organisation=north_trust, wte=Decimal("0.60"),
                           spatial_level="place")
        only.functions.set([pathways])
        PostFactory(host_organisation=north_trust, wte=Decimal("1.00"),
                    disestablished_on=D(2025, 1, 1)).functions.set([networks])
        PostFactory(host_organisation=north_trust, wte=Decimal("0.20"))
        result = investment.by_function(Post.objects.established())
        rows = {row["name"]: row for row in result.rows()}
        assert rows["Care pathways"]["wte"] == Decimal("0.80")
        assert rows["Care pathways"]["levels"] == [Decimal("0.20"), Decimal("0.60")]
        assert rows["Clinical networks"]["wte"] == Decimal("0.20")
        assert rows[investment.NO_FUNCTION]["wte"] == Decimal("0.20")
        assert result.total_wte == Decimal("1.20")
        assert rows["Care pathways"]["wte_share"] == 66.7
        assert rows["Clinical networks"]["honoraria"] == Decimal("5000")
        assert sum(row["wte_share"] for row in rows.values()) == pytest.approx(100, abs=0.2)

    def test_the_page_draws_the_table_and_the_chart(self, client, hr_north, north, north_trust):
        function = Function.objects.create(name="Care pathways", order=1)
        PostFactory(host_organisation=north_trust).functions.set([function])
        response = as_user(client, hr_north).get(reverse("governance:investment"),
                                                 {"system": north.pk})
        page = response.content.decode()
        assert "<svg" in page and "Care pathways: 100.0%" in page
        export = client.get(reverse("governance:investment"),
                            {"system": north.pk, "export": "csv"})
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[1][0] == "Care pathways" and rows[1][-4] == "0.40"

    def test_a_system_out_of_reach_cannot_be_chosen(self, client, hr_north, south):
        response = as_user(client, hr_north).get(reverse("governance:investment"),
                                                 {"system": south.pk})
        assert response.context["system"] != south

    def test_the_page_costs_the_same_whatever_its_size(self, client, hr_north, north,
                                                       north_trust):
        function = Function.objects.create(name="Care pathways", order=1)
        as_user(client, hr_north)
        url = reverse("governance:investment") + f"?system={north.pk}"
        PostFactory(host_organisation=north_trust).functions.set([function])
        few = queries(client, url)
        for _ in range(5):
            PostFactory(host_organisation=north_trust).functions.set([function])
        assert queries(client, url) == few


# --- the action plan -------------------------------------------------------------------------

@pytest.fixture
def framework(north, board, north_post):
    framework = Framework.objects.create(system=north, name="Leadership framework",
                                         overseen_by=board)
    one = Priority.objects.create(framework=framework, number=1, title="Every voice heard")
    two = Priority.objects.create(framework=framework, number=2, title="Shared learning")
    for reference, priority, term in [("1.1", one, "short"), ("1.2", one, "short"),
                                      ("1.3", one, "medium"), ("2.1", two, "long")]:
        Action.objects.create(priority=priority, reference=reference, text=f"Do {reference}",
                              term=term, due_on=D(2027, 6, 30)).owner_bodies.add(board)
    return framework


class TestActionPlan:
    def test_the_summary_counts_actions_by_priority_and_term(self, framework):
        rows, total = plan.summary(framework)
        assert [row.counts for row in rows] == [[2, 1, 0], [0, 0, 1]]
        assert total.counts == [2, 1, 1] and total.total == 4

    def test_an_action_is_owned_jointly_by_posts_and_bodies(self, framework, board,
                                                           north_post, cmo_office):
        cno = PostFactory(host_organisation=north_post.host_organisation, system=north_post.system,
                          title="Chief Nursing Officer")
        north_post.title = "Chief Medical Officer"
        north_post.save()
        action = governance.save_action(
            action=Action(priority=framework.priorities.first(), reference="1.9", text="x",
                          term="short", due_on=D(2027, 1, 1)),
            owner_posts=[cno, north_post], owner_bodies=[board], by=cmo_office)
        assert action.owners == [north_post, cno, board]
        assert action.owner_names == ("Chief Medical Officer, Chief Nursing Officer and "
                                      "System Quality Board")
        # The history keeps the owners of each version.
        assert set(action.history.first().owner_posts.values_list("post", flat=True)) == {
            north_post.pk, cno.pk}
        action = governance.save_action(action=action, owner_posts=[north_post],
                                        owner_bodies=[], by=cmo_office)
        assert action.owner_names == "Chief Medical Officer"

    @pytest.mark.parametrize("owners", ["none", "another system's"])
    def test_an_action_needs_an_owner_of_its_own_system(self, framework, cmo_office,
                                                        south_post, owners):
        chosen = [south_post] if owners != "none" else []
        with pytest.raises(ValidationError) as refused:
            governance.save_action(
                action=Action(priority=framework.priorities.first(), reference="1.9", text="x",
                              term="short", due_on=D(2027, 1, 1)),
                owner_posts=chosen, owner_bodies=[], by=cmo_office)
        assert "owner_posts" in refused.value.message_dict
        assert not Action.objects.filter(reference="1.9").exists()

    def test_progress_moves_the_status_and_is_dated(self, framework, cmo_office):
        action = Action.objects.get(reference="1.1")
        governance.record_update(action=action, status=Status.AT_RISK,
                                 note="Partners short of time", on=D(2026, 11, 20), by=cmo_office)
        action.refresh_from_db()
        assert action.status == Status.AT_RISK and action.rag == ("Amber", "yellow")
        # A late entry for an earlier date does not overwrite the latest position.
        governance.record_update(action=action, status=Status.ON_TRACK, note="Earlier news",
                                 on=D(2026, 10, 1), by=cmo_office)
        action.refresh_from_db()
        assert action.status == Status.AT_RISK

    @pytest.mark.parametrize("data, message", [
        ({"note": "", "status": "on_track"}, "Enter what has happened"),
        ({"note": "Fine", "status": "on_track", "future": True}, "cannot be in the future"),
        ({"note": "Fine", "status": ""}, "Select the status"),
    ])
    def test_a_bad_update_writes_nothing(self, client, framework, cmo_office, data, message):
        action = Action.objects.get(reference="1.1")
        day = D(2026, 12, 25) if data.pop("future", False) else D(2026, 11, 20)
        response = as_user(client, cmo_office).post(
            reverse("governance:action-detail", args=[action.pk]),
            {**data, **date_fields("on", day)})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not ActionUpdate.objects.exists()

    def test_viewers_cannot_record_progress(self, client, framework, leader):
        action = Action.objects.get(reference="1.1")
        response = as_user(client, leader).post(
            reverse("governance:action-detail", args=[action.pk]),
            {"note": "x", "status": "complete", **date_fields("on", D(2026, 11, 20))})
        assert response.status_code == 404
        assert not ActionUpdate.objects.exists()

    def test_an_action_is_added_with_an_owner_from_the_system(self, client, framework,
                                                              hr_north, north_post, south_post):
        as_user(client, hr_north)
        url = reverse("governance:action-create", args=[framework.pk])
        data = {"priority": framework.priorities.first().pk, "reference": "1.4",
                "text": "Publish the register", "term": "medium",
                **date_fields("due_on", D(2027, 9, 30))}
        refused = client.post(url, {**data, "owner_posts": [south_post.pk]})
        assert refused.status_code == 200 and "Select posts from the list" in \
            refused.content.decode()
        nobody = client.post(url, data)
        assert "Select at least one post or body to own the action" in nobody.content.decode()
        duplicate = client.post(url, {**data, "reference": "1.1",
                                      "owner_posts": [north_post.pk]})
        assert "already has an action 1.1" in duplicate.content.decode()
        assert Action.objects.count() == 4
        board = framework.overseen_by
        assert client.post(url, {**data, "owner_posts": [north_post.pk],
                                 "owner_bodies": [board.pk]}).status_code == 302
        action = Action.objects.get(reference="1.4")
        assert action.owners == [north_post, board]
        page = client.get(reverse("governance:action-detail", args=[action.pk])).content.decode()
        assert f'href="{north_post.get_absolute_url()}">{north_post.title}</a>' in page
        assert f'href="{board.get_absolute_url()}">{board.name}</a>' in page

    def test_the_board_report_exports(self, client, framework, cmo_office, north_post):
        joint = Action.objects.get(reference="2.1")
        joint.owner_posts.add(north_post)
        governance.record_update(action=joint, status=Status.OFF_TRACK,
                                 note="Funding not agreed", on=D(2026, 11, 1), by=cmo_office)
        as_user(client, cmo_office)
        export = client.get(reverse("governance:action-plan", args=[framework.pk]),
                            {"export": "csv"})
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[0][4] == "Owners"
        assert [r[1] for r in rows[1:]] == ["1.1", "1.2", "1.3", "2.1"]
        assert rows[4][4] == f"{north_post.title} and System Quality Board"
        assert rows[1][4] == "System Quality Board"
        assert rows[4][6:9] == ["Off track", "Red", "Funding not agreed"]
        page = client.get(reverse("governance:action-plan", args=[framework.pk]))
        assert f"{north_post.title} and System Quality Board" in page.content.decode()
        pdf = client.get(reverse("governance:action-plan-pdf", args=[framework.pk]))
        assert pdf["Content-Type"] == "application/pdf"
        text = " ".join(" ".join(p.extract_text().split())
                        for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Total actions (4)" in text and "Funding not agreed" in text
        assert f"{north_post.title} and System Quality Board" in text

    def test_the_plan_costs_the_same_whatever_its_size(self, client, framework, cmo_office,
                                                       board):
        as_user(client, cmo_office)
        url = reverse("governance:action-plan", args=[framework.pk])
        few = queries(client, url)
        priority = framework.priorities.last()
        for n in range(5):
            action = Action.objects.create(priority=priority, reference=f"2.{n + 2}", text="x",
                                           term="medium", due_on=D(2027, 1, 1))
            action.owner_bodies.add(board)
            action.owner_posts.add(PostFactory(host_organisation=board.system.organisations
                                               .first(), system=board.system))
            governance.record_update(action=action, status="on_track", note="ok", by=cmo_office)
        assert queries(client, url) == few

