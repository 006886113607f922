"""What each app tells the notification ledger when it starts (from its ``AppConfig.ready()``).

The ledger lives in ``ccpl``, below every app, so it cannot ask the apps what is due or who may
read about their objects: the apps tell it here. This module imports no model, so that
``ccpl.models`` (the ledger's QuerySet) can read it without a cycle; ``ccpl.notifications``
re-exports ``REGISTRY``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Registry:
    # (today, ids of users who chose the weekly digest) -> iterable of Due, run by the sweep.
    finders: list[Callable] = field(default_factory=list)
    # (today) -> anything, run by the sweep before finding (e.g. open and close 360° cycles).
    daily_steps: list[Callable] = field(default_factory=list)
    # object type ("appointments.appointment") -> (user) -> queryset of the ids of the objects
    # of that type the user may read reminders about.
    readers: dict[str, Callable] = field(default_factory=dict)
    # (object type, kind) -> (object id, kind) -> the e-mail's context with a freshly made private
    # link, or None when the link may no longer be made. The only way a link reaches an e-mail.
    private_links: dict[tuple[str, str], Callable] = field(default_factory=dict)

    def add_finder(self, finder):
        if finder not in self.finders:
            self.finders.append(finder)

    def add_daily_step(self, step):
        if step not in self.daily_steps:
            self.daily_steps.append(step)

    def add_readers(self, object_type, ids_visible_to):
        self.readers[object_type] = ids_visible_to

    def add_private_link(self, object_type, kinds, context_with_link):
        for kind in kinds:
            self.private_links[(object_type, kind)] = context_with_link

    def private_link_for(self, notification):
        """The provider of a private link for this row, bound by what the row is about (its
        object type and kind), never by what its text says."""
        return self.private_links.get((notification.object_type, notification.kind))


REGISTRY = Registry()
