"""``import_things`` and ``export_things``: files in and out, errors on stderr with their
line and field, a non-zero exit when rows were refused (workflows/data_model/csv_io.py
does the work; tests/workflows/data_model/test_csv_io.py covers it)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows import data_types

UID = "1449154312665x293260311940684900"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args: str) -> tuple[CommandError, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return caught.value, err.getvalue()


def leads() -> list[tuple[str, float | None]]:
    return list(data_types.get_model("Lead").objects.order_by("pk").values_list("email", "score"))


@pytest.fixture
def leads_csv(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        f"Email,Score,Slug,unique id\nann@example.com,3,ann,{UID}\nbob@example.com,abc,bob,\n"
    )
    return path


@pytest.mark.usefixtures("lead_type")
def test_bad_rows_are_listed_by_line_and_field_and_the_exit_status_says_so(leads_csv):
    error, stderr = refused("import_things", "Lead", str(leads_csv))
    assert error.returncode == 1
    assert "leads.csv line 3, score: 'abc' is not a number" in stderr
    assert "warning: leads.csv: not imported, no such field: Slug" in stderr
    assert "nothing was imported" in str(error)
    assert leads() == []


@pytest.mark.usefixtures("lead_type")
def test_keep_good_rows_imports_the_others_and_still_exits_non_zero(leads_csv):
    error, stderr = refused("import_things", "Lead", str(leads_csv), "--keep-good-rows")
    assert error.returncode == 1 and str(error) == "Imported 1 row; 1 row refused."
    assert "line 3, score" in stderr
    assert leads() == [("ann@example.com", 3)]
    assert data_types.get_model("Lead").objects.get().unique_id == UID


@pytest.mark.usefixtures("lead_type")
def test_a_good_file_is_imported_with_its_columns_shown(tmp_path, user):
    path = tmp_path / "leads.csv"
    path.write_text("E-mail,Score\nann@example.com,3\n")
    stdout, _ = run(
        "import_things", "Lead", str(path), "--map", "E-mail=email", "--user", user.username
    )
    assert "leads.csv → Lead: 1 row; columns: E-mail → email, Score → score" in stdout
    assert stdout.strip().endswith("Imported 1 row.")
    assert data_types.get_model("Lead").objects.get().created_by == user


@pytest.mark.usefixtures("lead_type")
def test_the_operator_s_import_sets_bubble_s_built_in_fields(tmp_path, user):
    path = tmp_path / "leads.csv"
    path.write_text(
        "email,Created Date,Modified Date,Created By,unique id\n"
        f"ann@example.com,2016-01-13T10:30:00Z,2016-01-14T10:30:00Z,{user.username},{UID}\n"
    )
    run("import_things", "Lead", str(path))
    lead = data_types.get_model("Lead").objects.get()
    assert (lead.unique_id, lead.created_by, lead.created_date.year) == (UID, user, 2016)
    assert lead.modified_date.day == 14


@pytest.mark.usefixtures("lead_type")
def test_a_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("email\nann@example.com\n")
    stdout, _ = run("import_things", "Lead", str(path), "--dry-run")
    assert "Dry run: 1 row would be imported; nothing was written." in stdout
    assert leads() == []


@pytest.mark.usefixtures("lead_type")
def test_arguments_that_do_not_pair_up_are_refused(leads_csv):
    error, _ = refused("import_things", "Lead", str(leads_csv), "Company")
    assert "give a data type and a file" in str(error)
    error, _ = refused("import_things", "Lead", str(leads_csv), "--map", "email")
    assert "write it 'CSV header=field'" in str(error)
    error, stderr = refused("import_things", "Gadget", str(leads_csv))
    assert "unknown data type 'Gadget'" in stderr and "Nothing was imported" in str(error)


@pytest.mark.usefixtures("lead_type")
def test_export_then_import_into_an_empty_type_gives_the_same_things(tmp_path):
    model = data_types.get_model("Lead")
    model.objects.create(email="ann@example.com", score=2.5, tags=["a", "b, c"], unique_id=UID)
    model.objects.create(email="bob@example.com", phone="+1 555")
    fields = ("email", "phone", "score", "tags", "unique_id", "created_date", "modified_date")
    before = list(model.objects.order_by("pk").values(*fields))
    path = tmp_path / "out.csv"
    _, stderr = run("export_things", "Lead", "-o", str(path))
    assert "2 things written" in stderr
    stdout, _ = run("export_things", "lead")
    assert stdout.replace("\r\n", "\n") == path.read_text().replace("\r\n", "\n")
    model.objects.all().delete()
    run("import_things", "Lead", str(path))
    assert list(model.objects.order_by("pk").values(*fields)) == before


@pytest.mark.usefixtures("lead_type")
def test_formulas_quoted_by_the_export_come_back_unchanged(tmp_path):
    model = data_types.get_model("Lead")
    texts = ["=1+1", "+1 555", "-x", "@here", "\tx", "'=quoted", "'plain"]
    for i, text in enumerate(texts):
        model.objects.create(email=f"{i}@example.com", phone=text, tags=[text], score=-i)
    before = list(model.objects.order_by("pk").values("phone", "tags", "score", "unique_id"))
    path = tmp_path / "out.csv"
    run("export_things", "Lead", "-o", str(path))
    assert "'=1+1" in path.read_text() and ",-3," in path.read_text()
    model.objects.all().delete()
    run("import_things", "Lead", str(path))
    after = list(model.objects.order_by("pk").values("phone", "tags", "score", "unique_id"))
    assert after == before


def test_export_of_an_unknown_type_is_refused(db):
    error, _ = refused("export_things", "Gadget")
    assert "unknown data type 'Gadget'" in str(error)
