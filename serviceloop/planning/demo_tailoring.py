"""Demo tailoring: the demo provider runs online services, so the "online services" profile
is applied (availability, response time and capacity first). Idempotent: nothing is done
once a profile is set."""

from serviceloop.core.models import User
from serviceloop.planning.models import Profile
from serviceloop.planning.queries_tailoring import tailoring_setting
from serviceloop.planning.services_tailoring import profile_apply


def demo_records(write=print) -> int:
    owner = User.objects.filter(username="owner").first()
    if owner is None or tailoring_setting().profile:
        return 0
    profile_apply(actor=owner, profile=Profile.ONLINE)
    write("tailoring: online services profile")
    return 1
