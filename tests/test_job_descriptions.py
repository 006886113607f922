"""Job descriptions and person specifications, version by version: writing a new version,
marking the current one reviewed, reading the history, and who may do which."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roles import services
from roles.models import Criterion, JobDescription

from .pages import as_user

pytestmark = pytest.mark.django_db
D = datetime.date

ESSENTIAL = {"category": "experience", "text": "Senior clinical leadership",
             "requirement": "essential", "by_application": True, "by_interview": True}
DESIRABLE = {"category": "qualifications", "text": "Leadership qualification",
             "requirement": "desirable", "by_application": True}


def write(post, user, *, summary="Leads the service.", reviewed_on=D(2026, 1, 1),
          criteria=(ESSENTIAL,)):
    return services.new_job_description(post=post, summary=summary, responsibilities="",
                                        reviewed_on=reviewed_on, criteria=list(criteria), by=user)


def form_data(*, summary="Leads the clinical strategy.", reviewed_on=D(2026, 11, 20),
              rows=(), initial=0, extra=3):
    """What the new-version page posts: the version, then rows of criteria."""
    data = {"summary": summary, "responsibilities": "Chairs the board\nSets the strategy",
            "reviewed_on_day": reviewed_on.day, "reviewed_on_month": reviewed_on.month,
            "reviewed_on_year": reviewed_on.year,
            "criteria-TOTAL_FORMS": len(rows) + extra, "criteria-INITIAL_FORMS": initial,
            "criteria-MIN_NUM_FORMS": 0, "criteria-MAX_NUM_FORMS": 1000}
    for i, row in enumerate(rows):
        data |= {f"criteria-{i}-{name}": value for name, value in row.items()}
    for i in range(len(rows), len(rows) + extra):
        data |= {f"criteria-{i}-requirement": "essential",
                 f"criteria-{i}-assessed_by": ["by_application"]}
    return data


def row(text, *, category="experience", requirement="essential",
        assessed_by=("by_application",), delete=False):
    fields = {"category": category, "text": text, "requirement": requirement,
              "assessed_by": list(assessed_by)}
    return fields | ({"DELETE": "on"} if delete else {})


class TestNewVersion:
    def test_the_first_version_is_1_and_the_next_is_2(self, north_post, hr_north):
        first = write(north_post, hr_north, summary="First.")
        second = write(north_post, hr_north, summary="Second.", criteria=[ESSENTIAL, DESIRABLE])
        assert (first.version, second.version) == (1, 2)
        first.refresh_from_db()
        assert first.summary == "First."
        assert [c.text for c in first.criteria.all()] == ["Senior clinical leadership"]
        assert second.criteria.count() == 2
        assert second.created_by == hr_north
        assert second.history.get().history_user == hr_north

    def test_criteria_are_saved_as_given(self, north_post, hr_north):
        version = write(north_post, hr_north, criteria=[ESSENTIAL, DESIRABLE])
        desirable = version.criteria.get(requirement="desirable")
        assert desirable.category == "qualifications"
        assert desirable.assessed_by == "AP"
        assert version.criteria.get(requirement="essential").assessed_by == "AP, I"

    def test_a_version_without_an_essential_criterion_is_refused(self, north_post, hr_north):
        with pytest.raises(ValidationError):
            write(north_post, hr_north, criteria=[DESIRABLE])
        assert not JobDescription.objects.exists()

    def test_a_review_date_in_the_future_is_refused(self, north_post, hr_north):
        with pytest.raises(ValidationError):
            write(north_post, hr_north, reviewed_on=D(2026, 11, 24))
        assert not JobDescription.objects.exists()


class TestMarkReviewed:
    def test_it_moves_the_review_due_date_a_year_on(self, north_post, hr_north, today):
        version = write(north_post, hr_north, reviewed_on=D(2025, 6, 1))
        assert version.review_due_on == D(2026, 6, 1)
        version = services.mark_job_description_reviewed(job_description=version, on=today,
                                                         by=hr_north)
        version.refresh_from_db()
        assert version.review_due_on == D(2027, 11, 23)
        assert version.version == 1
        latest = version.history.first()
        assert latest.history_user == hr_north
        assert latest.prev_record.reviewed_on == D(2025, 6, 1)

    def test_a_replaced_version_cannot_be_marked_reviewed(self, north_post, hr_north, today):
        old = write(north_post, hr_north)
        write(north_post, hr_north)
        with pytest.raises(ValidationError):
            services.mark_job_description_reviewed(job_description=old, on=today, by=hr_north)

    def test_the_reviewed_page_marks_the_current_version(self, client, north_post, hr_north):
        write(north_post, hr_north, reviewed_on=D(2025, 6, 1))
        response = as_user(client, hr_north).post(
            reverse("roles:job-description-reviewed", args=[north_post.pk]), follow=True)
        assert response.redirect_chain[-1][0] == north_post.get_absolute_url()
        assert JobDescription.objects.get().reviewed_on == D(2026, 11, 23)
        assert "next review is due on 23 November 2027" in response.content.decode()

    def test_the_reviewed_page_takes_only_posts(self, client, north_post, hr_north):
        write(north_post, hr_north)
        response = as_user(client, hr_north).get(
            reverse("roles:job-description-reviewed", args=[north_post.pk]))
        assert response.status_code == 405


class TestNewVersionPage:
    def test_it_starts_from_the_current_version(self, client, north_post, hr_north):
        write(north_post, hr_north, summary="The current summary.",
              criteria=[ESSENTIAL, DESIRABLE])
        page = as_user(client, hr_north).get(
            reverse("roles:job-description-new", args=[north_post.pk])).content.decode()
        assert "The current summary." in page
        assert 'value="Senior clinical leadership"' in page
        assert 'value="Leadership qualification"' in page
        assert 'name="reviewed_on_year" value="2026"' in page
        assert "Remove this criterion" in page
        assert 'class="nhsuk-textarea' in page  # rendered as NHS components

    def test_saving_writes_the_next_version(self, client, north_post, hr_north):
        write(north_post, hr_north)
        data = form_data(rows=[row("Was essential", delete=True),
                               row("Board experience"),
                               row("An MBA", category="qualifications",
                                   requirement="desirable",
                                   assessed_by=["by_application", "by_interview"])], initial=1)
        response = as_user(client, hr_north).post(
            reverse("roles:job-description-new", args=[north_post.pk]), data, follow=True)
        assert response.redirect_chain[-1][0] == north_post.get_absolute_url()
        assert "Version 2 of the job description has been saved." in response.content.decode()
        current = north_post.job_descriptions.first()
        assert current.version == 2
        assert current.summary == "Leads the clinical strategy."
        assert current.responsibility_lines == ["Chairs the board", "Sets the strategy"]
        assert current.created_by == hr_north
        assert [(c.text, c.requirement, c.assessed_by) for c in current.criteria.all()] == [
            ("Board experience", "essential", "AP"), ("An MBA", "desirable", "AP, I")]
        assert north_post.job_descriptions.get(version=1).criteria.count() == 1

    @pytest.mark.parametrize("data, message", [
        (form_data(summary="", rows=[row("Board experience")]), "Enter a summary of the role."),
        (form_data(rows=[row("Board experience", category="")]),
         "Criterion 1: Select the category of this criterion."),
        (form_data(rows=[row("An MBA", requirement="desirable")]),
         "Add at least one essential criterion."),
        (form_data(rows=[]), "Add at least one essential criterion."),
        (form_data(reviewed_on=D(2026, 11, 24), rows=[row("Board experience")]),
         "The date reviewed must be today or in the past."),
    ])
    def test_mistakes_are_summarised_and_nothing_is_written(self, client, north_post, hr_north,
                                                            data, message):
        response = as_user(client, hr_north).post(
            reverse("roles:job-description-new", args=[north_post.pk]), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "There is a problem" in page
        start = page.index("nhsuk-error-summary")
        summary = page[start:page.index("</ul>", start)]
        assert message in summary
        assert not JobDescription.objects.exists()
        assert not Criterion.objects.exists()

    def test_a_removed_row_with_a_mistake_does_not_stop_the_save(self, client, north_post,
                                                                 hr_north):
        write(north_post, hr_north, criteria=[ESSENTIAL, DESIRABLE])
        data = form_data(rows=[row("No category", category="", delete=True),
                               row("Board experience")], initial=2)
        response = as_user(client, hr_north).post(
            reverse("roles:job-description-new", args=[north_post.pk]), data)
        assert response.status_code == 302
        assert [c.text for c in north_post.job_descriptions.first().criteria.all()] == [
            "Board experience"]


class TestReading:
    def test_history_lists_every_version_newest_first(self, client, north_post, hr_north):
        write(north_post, hr_north, reviewed_on=D(2024, 3, 1))
        write(north_post, hr_north, reviewed_on=D(2026, 10, 1))
        page = as_user(client, hr_north).get(
            reverse("roles:job-description-history", args=[north_post.pk])).content.decode()
        assert page.index("Version 2") < page.index("Version 1")
        assert "1 Oct 2027" in page
        assert "Review overdue" not in page  # version 1 is replaced, not overdue

    def test_history_says_when_the_review_is_overdue(self, client, north_post, hr_north):
        write(north_post, hr_north, reviewed_on=D(2025, 11, 22))
        page = as_user(client, hr_north).get(
            reverse("roles:job-description-history", args=[north_post.pk])).content.decode()
        assert "nhsuk-tag--red" in page and "Review overdue" in page

    def test_a_review_due_today_is_not_yet_overdue(self, client, north_post, hr_north):
        write(north_post, hr_north, reviewed_on=D(2025, 11, 23))
        page = as_user(client, hr_north).get(
            reverse("roles:job-description-history", args=[north_post.pk])).content.decode()
        assert "Review overdue" not in page

    def test_an_old_version_stays_readable(self, client, north_post, hr_north):
        write(north_post, hr_north, summary="How it used to be.",
              criteria=[ESSENTIAL, DESIRABLE])
        write(north_post, hr_north, summary="How it is now.")
        page = as_user(client, hr_north).get(
            reverse("roles:job-description-version", args=[north_post.pk, 1])).content.decode()
        assert "How it used to be." in page and "How it is now." not in page
        assert "Leadership qualification" in page
        assert "Education, qualifications and training" in page
        assert "A later version has replaced this one." in page

    def test_a_version_that_does_not_exist_is_not_found(self, client, north_post, hr_north):
        write(north_post, hr_north)
        response = as_user(client, hr_north).get(
            reverse("roles:job-description-version", args=[north_post.pk, 2]))
        assert response.status_code == 404

    def test_the_post_page_offers_the_versions_and_the_review(self, client, north_post,
                                                               hr_north):
        write(north_post, hr_north, reviewed_on=D(2025, 1, 1))
        page = as_user(client, hr_north).get(north_post.get_absolute_url()).content.decode()
        assert reverse("roles:job-description-history", args=[north_post.pk]) in page
        assert reverse("roles:job-description-new", args=[north_post.pk]) in page
        assert reverse("roles:job-description-reviewed", args=[north_post.pk]) in page
        assert "Mark as reviewed today" in page and "csrfmiddlewaretoken" in page
        assert "Review overdue" in page and "1 January 2026" in page


def _urls(post):
    return {
        "history": reverse("roles:job-description-history", args=[post.pk]),
        "version": reverse("roles:job-description-version", args=[post.pk, 1]),
        "new": reverse("roles:job-description-new", args=[post.pk]),
        "reviewed": reverse("roles:job-description-reviewed", args=[post.pk]),
    }


class TestWhoMay:
    def test_an_outsider_finds_nothing(self, client, north_post, hr_north, outsider):
        write(north_post, hr_north)
        as_user(client, outsider)
        urls = _urls(north_post)
        for name, url in urls.items():
            if name != "reviewed":  # GET there is refused before anything is looked up
                assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url
        assert JobDescription.objects.get().reviewed_on == D(2026, 1, 1)

    def test_the_cmo_office_reads_but_does_not_write(self, client, north_post, hr_north,
                                                     cmo_office):
        write(north_post, hr_north)
        urls = _urls(north_post)
        as_user(client, cmo_office)
        assert client.get(urls["history"]).status_code == 200
        assert client.get(urls["version"]).status_code == 200
        assert client.get(urls["new"]).status_code == 404
        assert client.post(urls["new"], form_data(rows=[row("x")])).status_code == 404
        assert client.post(urls["reviewed"]).status_code == 404
        assert JobDescription.objects.count() == 1
        page = client.get(north_post.get_absolute_url()).content.decode()
        assert "Mark as reviewed today" not in page and "Write a new version" not in page

    def test_the_post_holder_reads_their_job_description(self, client, north_appointment,
                                                         hr_north, leader):
        write(north_appointment.post, hr_north)
        as_user(client, leader)
        urls = _urls(north_appointment.post)
        assert client.get(urls["history"]).status_code == 200
        assert client.get(urls["version"]).status_code == 200
        assert client.get(urls["new"]).status_code == 404

    def test_signing_in_comes_first(self, client, north_post, hr_north):
        write(north_post, hr_north)
        for url in _urls(north_post).values():
            assert client.get(url).status_code == 302, url


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


class TestPagesCostTheSameWhateverTheirSize:
    @pytest.mark.parametrize("page", ["history", "version", "post"])
    def test_constant_queries(self, client, north_post, hr_north, page,
                              django_assert_num_queries):
        as_user(client, hr_north)
        write(north_post, hr_north)
        url = north_post.get_absolute_url() if page == "post" else _urls(north_post)[page]
        few = _count(client, url)
        for _ in range(4):
            write(north_post, hr_north, criteria=[ESSENTIAL, DESIRABLE, ESSENTIAL, DESIRABLE,
                                                  ESSENTIAL])
        # The version page reads version 1; give it five criteria too.
        JobDescription.objects.get(version=1).criteria.bulk_create(
            [Criterion(job_description=JobDescription.objects.get(version=1), **DESIRABLE)
             for _ in range(4)])
        with django_assert_num_queries(few):
            assert client.get(url).status_code == 200
