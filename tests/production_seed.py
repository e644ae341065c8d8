"""The release step and the data of tests/test_production_http.py, run in its child
process under the production settings:

    python manage.py shell -c "from tests.production_seed import main; main()"

It migrates the scratch database, collects the static files, makes a contractor with a
draft and a superuser with an authenticator app, and prints what the probes need as one
line of JSON.
"""

from __future__ import annotations

import json

from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from survey import mfa
from survey.models import User
from tests.helpers import complete_org_answers, make_response, make_user

PASSWORD = "correct horse battery"  # tests.helpers.make_user's


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    response = make_response(answers=complete_org_answers(A1="Probe Works Inc."))
    preparer = make_user("preparer@probe.example", response.organisation)
    root = User.objects.create_superuser("root@probe.example", PASSWORD)
    device = TOTPDevice.objects.create(user=root, name=mfa.TOTP_NAME, confirmed=True)
    print(
        json.dumps(
            {
                "preparer": preparer.email,
                "root": root.email,
                "password": PASSWORD,
                "totp_key": device.key,
                "section": reverse("survey-section", args=[response.uuid, "A"]),
                "admin_page": reverse(
                    "admin:survey_response_change", args=[response.pk]
                ),
                "answer": "Probe Works Inc.",
            }
        )
    )
