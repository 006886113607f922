"""Every object's address, as the register's pages link to it, is what ``reverse`` says."""

import pytest
from django.urls import reverse, set_script_prefix

from ccpl import links


@pytest.mark.parametrize("viewname, ids", [
    ("appointments:post-detail", (7,)),
    ("appointments:person-detail", (123456789,)),
    ("governance:seat-remove", (3, 91073110)),
    ("appointments:appointment-detail", (1,)),
])
def test_the_address_is_what_reverse_gives(viewname, ids):
    assert links.path(viewname, *ids) == reverse(viewname, args=ids)


def test_a_script_prefix_is_kept():
    set_script_prefix("/ccpl/")
    try:
        assert links.path("appointments:post-detail", 5) == "/ccpl/posts/5/"
    finally:
        set_script_prefix("/")
    assert links.path("appointments:post-detail", 5) == "/posts/5/"


def test_only_whole_numbers_are_ids():
    with pytest.raises(ValueError):
        links.path("appointments:post-detail", "5/../admin")
    with pytest.raises(ValueError, match="not yet saved"):
        links.path("appointments:post-detail", None)
