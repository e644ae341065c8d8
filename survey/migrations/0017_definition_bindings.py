"""Definitions stored before bindings existed (v1 ids written into the code) get them.

The code reached the questions of definition v1 by id; it now reaches them through the
definition ("binds" on a question, "tier" and "flag" on options, "checks"). A stored
definition without any binding gets the ones v1 implied, for the ids it has with the
type the binding needs, so the same answers keep filling the same columns. Frozen here:
later changes to the code must not change what this migration writes.
"""

import hashlib
import json

from django.db import migrations

BINDS = {
    "A1": ("legal_name", {"text"}),
    "A2": ("uei", {"text"}),
    "A3": ("cage_codes", {"text_list"}),
    "B5": ("supplies_vendor", {"yesno", "yesno_unknown"}),
    "D1": ("name", {"text"}),
    "D2": ("channel", {"single"}),
    "D3": ("intermediary", {"text"}),
    "D4": ("function", {"single"}),
    "D5": ("programs", {"multi"}),
    "D6": ("relationship", {"single"}),
    "D7": ("nss", {"yesno", "yesno_unknown"}),
    "D8": ("classification", {"single"}),
    "D9": ("data", {"multi"}),
    "D10": ("stage", {"single"}),
    "D11": ("oversight", {"single"}),
    "D12": ("reliance", {"single"}),
    "D13": ("criticality", {"single"}),
    "D14": ("days", {"int"}),
    "D15": ("cost", {"currency"}),
    "D16": ("substitutability", {"single"}),
    "D17": ("alternative", {"single"}),
    "D18": ("policy", {"single"}),
    "D18a": ("policy_detail", {"text", "textarea"}),
    "E1a": ("transition_date", {"date"}),
    "E2": ("inquiry_status", {"single"}),
    "F4": ("signed_attestation", {"file"}),
}
TIERS = {"direct": "1", "cloud_platform": "2", "embedded": "2+", "subcontractor": "2+"}
FLAGS = {
    ("D6", "deliverable"): "deliverable",
    ("D17", "no"): "no_alternative",
    ("D18", "no"): "unconstrained",
    ("D18", "task_blocked"): "policy_friction",
    ("D18", "contractual_restriction"): "policy_friction",
}
CHECKS = [
    {
        "warn_if": {"question": "B2", "equals": "yes"},
        "unless_some_use": {"question": "D2", "equals": "cloud_platform"},
        "message": {
            "en": "You answered Yes to B2, but no use is reached through that channel (D2).",
            "fr": "Vous avez répondu Oui à B2, mais aucune utilisation ne passe par ce canal (D2).",
        },
    },
    {
        "warn_if": {"question": "B3", "equals": "yes"},
        "unless_some_use": {"question": "D2", "equals": "embedded"},
        "message": {
            "en": "You answered Yes to B3, but no use is reached through that channel (D2).",
            "fr": "Vous avez répondu Oui à B3, mais aucune utilisation ne passe par ce canal (D2).",
        },
    },
    {
        "warn_if": {"question": "B4", "equals": "yes"},
        "unless_some_use": {"question": "D2", "equals": "subcontractor"},
        "message": {
            "en": "You answered Yes to B4, but no use is reached through that channel (D2).",
            "fr": "Vous avez répondu Oui à B4, mais aucune utilisation ne passe par ce canal (D2).",
        },
    },
    {
        "warn_if": {"question": "B5", "equals": "yes"},
        "unless_some_use": {"question": "D6", "equals": "deliverable"},
        "message": {
            "en": "You answered Yes to B5, but no use is part of a deliverable (D6).",
            "fr": "Vous avez répondu Oui à B5, mais aucune utilisation ne fait partie d’un livrable (D6).",
        },
    },
    {
        "for_each_use": True,
        "warn_if": {
            "any": [
                {
                    "all": [
                        {"question": "A7", "equals": "none"},
                        {"question": "D8", "in": ["secret", "top_secret"]},
                    ]
                },
                {
                    "all": [
                        {"question": "A7", "equals": "secret"},
                        {"question": "D8", "equals": "top_secret"},
                    ]
                },
            ]
        },
        "message": {
            "en": "This use runs in a more classified environment (D8) than the highest your organisation operates (A7).",
            "fr": "Cette utilisation s’exerce dans un environnement de classification plus élevée (D8) que le plus élevé qu’exploite votre organisation (A7).",
        },
    },
    {
        "for_each_use": True,
        "warn_if": {
            "all": [
                {"question": "D8", "in": ["secret", "top_secret"]},
                {"question": "D9", "excludes": "classified"},
            ]
        },
        "message": {
            "en": "This use runs in a classified environment (D8), but its data categories (D9) do not include Classified.",
            "fr": "Cette utilisation s’exerce dans un environnement classifié (D8), mais ses catégories de données (D9) n’incluent pas Classifié.",
        },
    },
]


def bind(definition: dict) -> bool:
    """Add v1's bindings in place; False if the definition already has some."""
    questions = [(s, q) for s in definition["sections"] for q in s["questions"]]
    if "checks" in definition or any("binds" in q for _s, q in questions):
        return False
    for section, question in questions:
        binding = BINDS.get(question["id"])
        # Use bindings belong to the repeatable section, the others outside it.
        in_use = question["id"].startswith("D") == bool(section.get("repeatable"))
        if binding and question["type"] in binding[1] and in_use:
            question["binds"] = binding[0]
        for option in question.get("options", []):
            if question.get("binds") == "channel" and option["value"] in TIERS:
                option["tier"] = TIERS[option["value"]]
            flag = FLAGS.get((question["id"], option["value"]))
            if flag and question.get("binds"):
                option["flag"] = flag
    ids = {q["id"] for _s, q in questions}
    definition["checks"] = [check for check in CHECKS if set(_ids(check)) <= ids]
    return True


def _ids(data):
    if isinstance(data, dict):
        if "question" in data:
            yield data["question"]
        for value in data.values():
            yield from _ids(value)
    elif isinstance(data, list):
        for value in data:
            yield from _ids(value)


def forwards(apps, schema_editor):
    QuestionnaireVersion = apps.get_model("survey", "QuestionnaireVersion")
    for version in QuestionnaireVersion.objects.all():
        definition = version.definition
        if bind(definition):
            text = json.dumps(
                definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            version.definition = definition
            version.digest = hashlib.sha256(text.encode()).hexdigest()
            version.save(update_fields=["definition", "digest"])


class Migration(migrations.Migration):
    dependencies = [
        ("survey", "0016_comment_answered"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
