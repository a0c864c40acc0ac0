"""Upload CSV and Bubble's built-in fields (workflows/admin/data/things_csv.py): who made
a thing and when, and its unique id, are set from a file only by a superuser or a user who
may change the data model; a user who may only add things has such a file refused, naming
its columns, and may leave them out. (The rest of the page: tests/workflows/admin/
test_things_csv_admin.py.)"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.workflows.data_model.conftest import LEAD, STAGE, data_model  # noqa: F401
from workflows import data_types
from workflows.data_model import schema
from workflows.models.data_model import DataType

pytestmark = pytest.mark.usefixtures("data_model")

UID = "1449154312665x293260311940684900"
BUBBLE_EXPORT = (
    "email,Created Date,Modified Date,Created By,unique id\n"
    f"ann@example.com,2016-01-13T10:30:00Z,2016-01-14T10:30:00Z,history@example.com,{UID}\n"
)
LEAVE_OUT = "Created Date =\nModified Date =\nCreated By =\nunique id ="


@pytest.fixture
def lead_type(data_model) -> DataType:  # noqa: F811
    schema.save_option_set(STAGE)
    return schema.create_data_type(LEAD)


@pytest.fixture
def history_user(db):
    return get_user_model().objects.create_user("history", "history@example.com", "pw-x-123")


def staff(*perms: str) -> tuple[Client, object]:
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
    return client, user


def upload(client: Client, data_type: DataType, text: str, **fields: str):
    data = {"file": SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv")}
    data.update(fields)
    return client.post(f"/admin/things/t{data_type.pk}/upload/", data, follow=True)


def test_a_user_who_may_only_add_things_cannot_set_the_built_in_fields(lead_type, history_user):
    adder, user = staff(f"things.view_t{lead_type.pk}", f"things.add_t{lead_type.pk}")
    page = adder.get(f"/admin/things/t{lead_type.pk}/upload/").content.decode()
    assert "<code>unique id</code>," not in page.split("The columns of")[1].split("</div>")[0]
    assert "only a superuser or a user who may change the data model" in page

    response = upload(adder, lead_type, BUBBLE_EXPORT)
    assert not response.redirect_chain, "the upload went through"
    [error] = response.context["form"].errors["__all__"]
    assert error == (
        "leads.csv: the columns Created Date, Modified Date, Created By, unique id are "
        "Bubble's built-in fields, which only a superuser or a user who may change the data "
        "model (workflows.change_data_model) may set from a file; leave them out in "
        "“Columns as fields”: 'Created Date=' (one for each column)"
    )
    assert "Nothing was imported." in response.content.decode()
    assert not data_types.get_model("Lead").objects.exists()

    # one column alone is named alone, whatever its spelling (Bubble's "Creator")
    response = upload(adder, lead_type, "email,Creator\nann@example.com,history\n")
    [error] = response.context["form"].errors["__all__"]
    assert error.startswith("leads.csv: the column Creator is Bubble's built-in field,")

    # left out, the rest is imported as the user's own things, made now
    before = datetime.datetime.now(datetime.timezone.utc)
    response = upload(adder, lead_type, BUBBLE_EXPORT, mapping=LEAVE_OUT)
    assert "Imported 1 row." in response.content.decode()
    lead = data_types.get_model("Lead").objects.get()
    assert lead.unique_id != UID and lead.created_by_id == user.pk
    assert lead.created_date >= before and lead.modified_date == lead.created_date


@pytest.mark.parametrize("who", ["superuser", "data model editor"])
def test_superusers_and_data_model_editors_set_them(lead_type, history_user, superuser, who):
    if who == "superuser":
        client = Client()
        client.force_login(superuser)
    else:
        client, _ = staff("workflows.change_data_model")
    page = client.get(f"/admin/things/t{lead_type.pk}/upload/").content.decode()
    assert "<code>unique id</code>" in page
    assert "Imported 1 row." in upload(client, lead_type, BUBBLE_EXPORT).content.decode()
    lead = data_types.get_model("Lead").objects.get()
    assert (lead.unique_id, lead.created_by_id) == (UID, history_user.pk)
    assert lead.created_date == datetime.datetime(2016, 1, 13, 10, 30, tzinfo=datetime.timezone.utc)


def test_export_csv_quotes_text_a_spreadsheet_would_run_and_upload_reads_it_back(
    lead_type, superuser
):
    root = Client()
    root.force_login(superuser)
    model = data_types.get_model("Lead")
    model.objects.create(email='=HYPERLINK("http://evil.example")', phone="-5", score=-5)
    response = root.get(f"/admin/things/t{lead_type.pk}/export/")
    text = b"".join(response.streaming_content).decode()
    [row] = csv.DictReader(io.StringIO(text))
    assert row["email"] == '\'=HYPERLINK("http://evil.example")'
    assert (row["phone"], row["score"]) == ("'-5", "-5")  # a text, then a number
    model.objects.all().delete()
    assert "Imported 1 row." in upload(root, lead_type, text).content.decode()
    lead = model.objects.get()
    assert (lead.email, lead.phone, lead.score) == ('=HYPERLINK("http://evil.example")', "-5", -5)
