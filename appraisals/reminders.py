"""What the reminder sweep needs to know from appraisals.

Appraisal cycles are recorded by the 360° appraisal work; until a cycle exists for an
appointment, no appraisal counts as done and no rater is waiting to be chased.
"""


def appraised_since(since_by_appointment):
    """Ids of the appointments with an appraisal outcome recorded on or after the given date
    (one date per appointment id)."""
    return set()


def rater_chasers(today):
    """360° chasers due today."""
    return iter(())
