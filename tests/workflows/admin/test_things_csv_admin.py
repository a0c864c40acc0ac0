"""Upload CSV and Export CSV on a data type's list in the admin
(workflows/admin/data/things_csv.py): a good file is imported, a bad row imports nothing
and is listed by line, the good rows on request, a dry run writes nothing, a file that is
not CSV or too large is an error on the form; the type's permissions decide; and an
export downloads what an upload reads back."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from scheduler.models import Origin, ScheduledRun
from tests.workflows.data_model.conftest import LEAD, STAGE, data_model  # noqa: F401
from workflows import data_types
from workflows.admin.data import things_csv
from workflows.data_model import schema
from workflows.models.data_model import DataType

pytestmark = pytest.mark.usefixtures("data_model")


@pytest.fixture
def lead_type(data_model) -> DataType:  # noqa: F811
    """tests/workflows/data_model's Lead (email, phone, score, owner, tags, stage)."""
    schema.save_option_set(STAGE)
    return schema.create_data_type(LEAD)


@pytest.fixture
def root(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def staff(*perms: str) -> Client:
    user = get_user_model().objects.create_user(
        f"staff{get_user_model().objects.count()}", password="pw-x-123", is_staff=True
    )
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


def url(data_type: DataType, suffix: str = "") -> str:
    return f"/admin/things/t{data_type.pk}/{suffix}"


def upload(client: Client, data_type: DataType, text: str | bytes, name="leads.csv", **options):
    """What the upload page's form sends: the file and the boxes ticked; the result page."""
    content = text.encode() if isinstance(text, str) else text
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
    data.update({key: "on" if value is True else value for key, value in options.items()})
    return client.post(url(data_type, "upload/"), data, follow=True)


def leads() -> list[tuple[str, float | None]]:
    model = data_types.get_model("Lead")
    return list(model.objects.order_by("pk").values_list("email", "score"))


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def form_errors(response) -> dict[str, list[str]]:
    """The errors the re-rendered upload form shows (``__all__``: the import's own)."""
    assert response.status_code == 200, response.status_code
    assert not getattr(response, "redirect_chain", []), "the upload went through"
    return {k: list(v) for k, v in response.context["form"].errors.items()}


GOOD = "email,score,stage,Phone number\nann@example.com,3,New,555\nbob@example.com,4,Won,556\n"
ONE_BAD = "email,score\nann@example.com,3\nbob@example.com,abc\ncy@example.com,5\n"


# --- uploading ------------------------------------------------------------------------------


def test_the_list_offers_upload_and_export_beside_add(root, lead_type):
    html = page(root.get(url(lead_type)))
    tools = html[html.index('class="object-tools"') :]
    tools = tools[: tools.index("</ul>")]
    assert "Add" in tools
    assert f'href="{url(lead_type, "upload/")}">Upload CSV' in tools
    assert f'href="{url(lead_type, "export/")}" download>Export CSV' in tools


def test_the_upload_page_says_the_options_and_the_columns_in_plain_words(root, lead_type):
    html = page(root.get(url(lead_type, "upload/")))
    for label in (
        "Import the good rows and list the bad ones",
        "Try it first: check every row, import nothing",
        "Run database triggers for each new thing",
        "Leave links to things that do not exist empty",
    ):
        assert label in html
    assert 'enctype="multipart/form-data"' in html
    assert "<code>email</code> (required)" in html
    assert "<code>unique id</code>" in html
    assert "Home</a>" in html and "Upload CSV" in html


def test_a_good_file_is_imported_and_the_result_says_which_columns_were_read(
    root, lead_type, superuser
):
    response = upload(root, lead_type, GOOD)
    html = page(response)
    assert response.redirect_chain[-1][0].startswith(url(lead_type, "upload/"))
    assert leads() == [("ann@example.com", 3), ("bob@example.com", 4)]
    lead = data_types.get_model("Lead").objects.first()
    assert lead.stage.display == "New" and lead.created_by == superuser
    assert "Imported 2 rows." in html
    result = response.context["result"]
    assert result["files"][0]["columns"] == [
        ["email", "email"],
        ["score", "score"],
        ["stage", "stage"],
    ]
    assert result["files"][0]["unknown"] == ["Phone number"]
    assert "ignored: no field has this name" in html
    assert f'href="{url(lead_type)}"' in html  # back to the list
    change = LogEntry.objects.get()  # on the data type's history
    assert change.object_id == str(lead_type.pk)
    assert change.get_change_message() == "Imported 2 Leads from leads.csv."
    # reloading the result page shows it again; it imports nothing again
    assert "Imported 2 rows." in page(root.get(response.redirect_chain[-1][0]))
    assert len(leads()) == 2


def test_a_bad_row_imports_nothing_and_is_listed_by_line(root, lead_type):
    html = page(upload(root, lead_type, ONE_BAD))
    assert leads() == []
    assert "1 row refused; nothing was imported." in html
    assert "Import the good rows and list the bad ones" in html  # how to import the others
    errors = html[html.index('id="csv-errors"') :]
    assert '<td class="line">3</td><td class="field">score</td>' in errors
    assert "&#x27;abc&#x27; is not a number" in errors
    assert not LogEntry.objects.exists()


def test_keep_good_rows_imports_the_others_and_lists_the_bad(root, lead_type):
    html = page(upload(root, lead_type, ONE_BAD, keep_good_rows=True))
    assert leads() == [("ann@example.com", 3), ("cy@example.com", 5)]
    assert "Imported 2 rows; 1 row refused." in html
    assert '<td class="line">3</td>' in html


def test_a_dry_run_imports_nothing_and_says_what_would_be(root, lead_type):
    html = page(upload(root, lead_type, GOOD, dry_run=True))
    assert leads() == []
    assert "Dry run: 2 rows would be imported; nothing was written." in html
    assert "Options: Try it first: check every row, import nothing." in html
    assert "Upload it for real" in html


def test_links_to_missing_things_are_refused_or_left_empty(root, lead_type, user):
    text = f"email,owner\nann@example.com,{user.email}\nbob@example.com,nobody@example.com\n"
    html = page(upload(root, lead_type, text))
    assert leads() == [] and "owner" in html
    html = page(upload(root, lead_type, text, empty_missing_links=True))
    assert [e for e, _ in leads()] == ["ann@example.com", "bob@example.com"]
    assert "1 link to things that do not exist left empty." in html


def test_a_column_is_read_as_a_field_when_the_builder_says_so(root, lead_type):
    text = "Mail address,Points,Slug\nann@example.com,7,x\n"
    refused = upload(root, lead_type, text)
    assert form_errors(refused)["__all__"][0].startswith("leads.csv: no column names a field")
    html = page(upload(root, lead_type, text, mapping="Mail address = email\nPoints=score\nSlug="))
    assert leads() == [("ann@example.com", 7)]
    assert "Imported 1 row." in html
    bad = upload(root, lead_type, text, mapping="Mail address email")
    assert form_errors(bad) == {
        "mapping": ["line 1: write it “column = field” (“column =” leaves it out)"]
    }
    unknown = upload(root, lead_type, text, mapping="Mail address=mail")
    assert (
        "Columns as fields, Mail address=mail: Lead has no field 'mail'"
        in (form_errors(unknown)["__all__"][0])
    )


def test_database_triggers_run_only_when_ticked_as_the_uploader(
    root, lead_type, make_workflow, superuser
):
    new_lead = make_workflow(
        "new-lead",
        kind="trigger",
        data_type="Lead",
        on=["create"],
        ignore_privacy=True,
        actions=[{"type": "log", "message": "{{ thing.email }}"}],
    )
    fired = ScheduledRun.objects.filter(origin=Origin.TRIGGER, workflow=new_lead)
    upload(root, lead_type, "email\nann@example.com\n")
    assert not fired.exists()
    upload(root, lead_type, "email\nbob@example.com\ncy@example.com\n", fire_triggers=True)
    assert fired.count() == 2
    assert {run.actor for run in fired} == {superuser}


# --- files the import refuses as a whole: an error on the form ---------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "cannot be read as CSV (UTF-8)"),
        ("email,score\nann@example.com,3\n".encode("utf-16"), "cannot be read as CSV (UTF-8)"),
        (b"\n\n", "empty: the first line must name the columns"),
        (b"name,city\nAnn,Paris\n", "no column names a field of Lead"),
    ],
    ids=["binary", "utf-16", "no-header", "no-field"],
)
def test_a_file_that_is_not_a_csv_of_the_type_is_an_error_on_the_form(
    root, lead_type, content, message
):
    response = upload(root, lead_type, content)
    errors = form_errors(response)["__all__"]
    assert len(errors) == 1 and message in errors[0], errors
    assert "Nothing was imported." in page(response)
    assert leads() == []


def test_a_line_that_is_not_utf8_far_into_the_file_refuses_it_whole(root, lead_type):
    good = "".join(f"lead{i}@example.com,{i}\n" for i in range(1000))
    content = b"email,score\n" + good.encode() + b"bob@\xff\xfeexample.com,4\n"
    errors = form_errors(upload(root, lead_type, content))["__all__"]
    assert len(errors) == 1 and errors[0].startswith(
        "leads.csv line 1002: not UTF-8: it holds the byte 0xff"
    ), errors
    assert leads() == []


def test_no_file_or_an_empty_one_is_an_error_on_its_input(root, lead_type):
    response = root.post(url(lead_type, "upload/"), {"dry_run": "on"})
    assert form_errors(response) == {"file": ["Choose a CSV file to upload."]}
    assert form_errors(upload(root, lead_type, b"")) == {"file": ["The file is empty."]}


def test_a_file_over_the_limit_is_refused_on_the_form_and_read_no_further(root, lead_type):
    big = "email,score\n" + "".join(f"lead{i}@example.com,{i}\n" for i in range(200))
    with override_settings(BUBBLE_CSV_UPLOAD_MAX_SIZE=1000):
        response = upload(root, lead_type, big, keep_good_rows=True)
        errors = form_errors(response)
        assert errors["file"] == [things_csv.too_large()]
        assert "larger than 1000\xa0bytes" in errors["file"][0]
        assert leads() == []
        # a file under the limit goes through
        assert "Imported 1 row." in page(upload(root, lead_type, "email\nann@example.com\n"))


def test_the_upload_is_csrf_protected(root, lead_type, superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    file = SimpleUploadedFile("leads.csv", GOOD.encode(), content_type="text/csv")
    assert client.post(url(lead_type, "upload/"), {"file": file}).status_code == 403
    assert leads() == []


# --- permissions ----------------------------------------------------------------------------


def test_uploading_takes_the_type_s_add_permission(lead_type):
    reader = staff(f"things.view_t{lead_type.pk}")
    assert reader.get(url(lead_type, "upload/")).status_code == 403
    assert upload(reader, lead_type, GOOD).status_code == 403
    assert leads() == []
    assert "Upload CSV" not in page(reader.get(url(lead_type)))
    assert "Export CSV" in page(reader.get(url(lead_type)))

    adder = staff(f"things.view_t{lead_type.pk}", f"things.add_t{lead_type.pk}")
    assert "Imported 2 rows." in page(upload(adder, lead_type, GOOD))
    editor = staff("workflows.change_data_model")
    assert "Imported 1 row." in page(upload(editor, lead_type, "email\ncy@example.com\n"))
    # the result page is the uploader's session's: another user's token finds nothing
    token = upload(adder, lead_type, "email\ndan@example.com\n").redirect_chain[-1][0]
    assert editor.get(token).status_code == 404


def test_exporting_takes_the_type_s_view_or_change_permission(lead_type):
    nobody = staff()
    assert nobody.get(url(lead_type, "export/")).status_code == 403
    adder = staff(f"things.add_t{lead_type.pk}")
    assert adder.get(url(lead_type, "export/")).status_code == 403
    for perm in ("view", "change"):
        client = staff(f"things.{perm}_t{lead_type.pk}")
        assert client.get(url(lead_type, "export/")).status_code == 200


# --- exporting ------------------------------------------------------------------------------


def download(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_an_export_downloads_what_an_upload_reads_back(root, lead_type, user):
    text = (
        "email,score,stage,tags,owner\n"
        f'ann@example.com,3,New,"a , b",{user.email}\n'
        "bob@example.com,4.5,Won,,\n"
    )
    upload(root, lead_type, text)
    before = list(
        data_types.get_model("Lead")
        .objects.order_by("pk")
        .values("unique_id", "email", "score", "stage__display", "tags", "owner", "created_date")
    )
    response = root.get(url(lead_type, "export/"))
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="Lead-{today}.csv"'
    rows = download(response)
    assert [(r["email"], r["score"], r["unique id"]) for r in rows] == [
        ("ann@example.com", "3", before[0]["unique_id"]),
        ("bob@example.com", "4.5", before[1]["unique_id"]),
    ]

    # into the emptied type, the download gives back the same things
    data_types.get_model("Lead").objects.all().delete()
    again = b"".join(root.get(url(lead_type, "export/")).streaming_content)
    assert again.decode().splitlines() == [
        "email,phone,score,owner,tags,stage,Created Date,Modified Date,Created By,unique id"
    ]
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=list(rows[0])).writeheader()
    csv.DictWriter(out, fieldnames=list(rows[0])).writerows(rows)
    assert "Imported 2 rows." in page(upload(root, lead_type, out.getvalue()))
    after = list(
        data_types.get_model("Lead")
        .objects.order_by("pk")
        .values("unique_id", "email", "score", "stage__display", "tags", "owner", "created_date")
    )
    assert after == before


def test_the_list_s_action_exports_the_things_ticked(root, lead_type):
    upload(root, lead_type, GOOD)
    bob = data_types.get_model("Lead").objects.get(email="bob@example.com")
    response = root.post(
        url(lead_type),
        {"action": "export_selected_csv", "_selected_action": [str(bob.pk)], "index": "0"},
    )
    assert [r["email"] for r in download(response)] == ["bob@example.com"]
