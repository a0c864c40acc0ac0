"""Things in and out as CSV (workflows.data_model.csv_io): each cell read by its field's
type, bad rows reported by line and field, nothing imported unless every row is good (or
the good rows are asked for), Bubble's headers and ids kept, files linked by unique ids,
and an export that imports back as the same things."""

from __future__ import annotations

import csv as csv_module
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from examples.models import Customer
from scheduler.models import Origin, ScheduledRun
from workflows import data_types
from workflows.bubble_fields import UNIQUE_ID
from workflows.data_model import schema
from workflows.data_model.csv_io import Source, export_csv, import_csv, import_files

from .conftest import LEAD, STAGE

COMPANY = {
    "name": "Company",
    "display_field": "name",
    "fields": [
        {"name": "name", "type": "text", "required": True},
        {"name": "parent", "type": "thing", "data_type": "Company"},
    ],
}
#: Lead with a field of every kind a file can fill
RICH_LEAD = {
    **LEAD,
    "fields": [
        *LEAD["fields"],
        {"name": "company", "type": "thing", "data_type": "Company"},
        {"name": "partners", "type": "thing", "data_type": "Company", "list": True},
        {"name": "follow_up", "type": "date"},
        {"name": "active", "type": "yes_no"},
        {"name": "photo", "type": "image"},
        {"name": "place", "type": "geographic_address"},
        {"name": "calls", "type": "date", "list": True},
        {"name": "scores", "type": "number", "list": True},
        {"name": "stages_seen", "type": "option", "option_set": "Stage", "list": True},
    ],
}
UID1, UID2, UID3 = "1449154312665x293260311940684900", "1449154312666x1", "1449154312667x2"


@pytest.fixture
def crm(data_model):
    """Company and a Lead with every kind of field."""
    schema.save_option_set(STAGE)
    schema.create_data_types([COMPANY, RICH_LEAD])


def csv(text: str) -> io.StringIO:
    return io.StringIO(text.lstrip("\n"))


def leads():
    return data_types.get_model("Lead").objects.order_by("pk")


def table(*rows: list[str]) -> io.StringIO:
    """A CSV file of these rows (the header first), quoted as a spreadsheet would."""
    out = io.StringIO()
    csv_module.writer(out).writerows(rows)
    out.seek(0)
    return out


def messages(report) -> list[str]:
    return [str(e) for e in report.errors]


# --- bad rows -------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_field_and_nothing_is_imported(lead_type):
    report = import_csv(
        "Lead",
        csv("""
email,score,stage
ann@example.com,3,New
bob@example.com,abc,Won
,4,Lost
cy@example.com,5,Maybe
"""),
        name="leads.csv",
    )
    assert messages(report) == [
        "leads.csv line 3, score: 'abc' is not a number",
        "leads.csv line 4, email: This field cannot be blank.",
        "leads.csv line 5, stage: 'Maybe' is not an option of Stage",
    ]
    assert not report.committed and report.refused == 3
    assert "nothing was imported" in report.summary()
    assert not leads().exists()


def test_keep_good_rows_imports_the_others_and_lists_the_bad(lead_type):
    report = import_csv(
        "Lead",
        csv("email,score\nann@example.com,3\nbob@example.com,abc\ncy@example.com,\n"),
        keep_good_rows=True,
        name="leads.csv",
    )
    assert messages(report) == ["leads.csv line 3, score: 'abc' is not a number"]
    assert report.committed and report.imported == 2 and report.refused == 1
    assert report.summary() == "Imported 2 rows; 1 row refused."
    # an empty cell is an empty value; a field without a column gets its default
    assert list(leads().values_list("email", "score")) == [
        ("ann@example.com", 3),
        ("cy@example.com", None),
    ]


def test_unique_fields_are_checked_in_the_file_and_against_the_database(lead_type):
    data_types.get_model("Lead").objects.create(email="old@example.com")
    report = import_csv(
        "Lead",
        csv("email\nann@example.com\nold@example.com\nann@example.com\n"),
        keep_good_rows=True,
        name="leads.csv",
    )
    assert messages(report) == [
        "leads.csv line 3, email: 'old@example.com' is taken by another Lead",
        "leads.csv line 4, email: 'ann@example.com' is also on leads.csv line 2",
    ]
    assert leads().count() == 2


def test_a_file_that_names_no_field_or_misses_a_required_one_is_refused_whole(lead_type):
    nothing = import_csv("Lead", csv("Name,Size\nx,1\n"), name="x.csv")
    assert nothing.problems == [
        "x.csv: no column names a field of Lead (fields: email, phone, score, owner, tags, "
        "stage, Created Date, Modified Date, Created By, unique id)",
    ]
    no_email = import_csv("Lead", csv("score\n1\n"), name="x.csv")
    assert no_email.problems == ["x.csv: no column for the required field email"]
    assert "Nothing was imported" in no_email.summary()
    unknown = import_csv("Gadget", csv("a\n1\n"), name="x.csv")
    assert unknown.problems[0].startswith("x.csv: unknown data type 'Gadget'")


def test_unknown_columns_are_reported_not_refused(lead_type):
    report = import_csv("Lead", csv("email,Slug\nann@example.com,ann\n"))
    assert report.ok and report.files[0].unknown == ["Slug"]
    assert report.files[0].columns == {"email": "email"}


# --- Bubble's files ---------------------------------------------------------------------------


def test_bubble_headers_keep_ids_dates_and_creator(crm, user):
    report = import_csv(
        "Lead",
        csv(f"""
Email,Follow up,Created Date,Modified Date,Created By,unique id
ann@example.com,"Jan 13, 2016 10:30 am",Nov 21 2023 3:15 pm,2023-11-22T08:00:00Z,alice,{UID1}
bob@example.com,01/13/2016,1453000000000,,alice@example.com,{UID2}
"""),
    )
    assert report.ok, messages(report)
    assert report.files[0].columns == {
        "Email": "email",
        "Follow up": "follow_up",
        "Created Date": "created_date",
        "Modified Date": "modified_date",
        "Created By": "created_by",
        "unique id": "unique_id",
    }
    ann, bob = leads()
    utc = datetime.timezone.utc
    assert ann.unique_id == UID1 and bob.unique_id == UID2
    assert ann.follow_up == datetime.datetime(2016, 1, 13, 10, 30, tzinfo=utc)
    assert ann.created_date == datetime.datetime(2023, 11, 21, 15, 15, tzinfo=utc)
    assert ann.modified_date == datetime.datetime(2023, 11, 22, 8, tzinfo=utc)
    assert bob.follow_up == datetime.datetime(2016, 1, 13, tzinfo=utc)
    assert bob.created_date == datetime.datetime.fromtimestamp(1453000000, tz=utc)
    assert bob.modified_date == bob.created_date  # not given: as a new thing's
    assert ann.created_by == user and bob.created_by == user


def test_without_built_in_columns_a_row_gets_a_new_id_now_and_the_importing_user(lead_type, user):
    import_csv("Lead", csv("email\nann@example.com\n"), user=user)
    lead = leads().get()
    assert lead.created_by == user and lead.modified_date == lead.created_date
    assert UNIQUE_ID.fullmatch(lead.unique_id)


def test_built_in_columns_may_be_refused_naming_them(lead_type, user):
    """What the admin's upload asks for a user who may not set them: the file is refused
    whole, naming each such column, however it is spelled or mapped."""
    text = f"email,Creation Date,unique id\nann@example.com,2016-01-13,{UID1}\n"
    report = import_csv("Lead", csv(text), built_in_columns=False, name="leads.csv")
    assert not report.committed and report.problems == [
        "leads.csv: the columns Creation Date, unique id are Bubble's built-in fields, which "
        "only a superuser or a user who may change the data model "
        "(workflows.change_data_model) may set from a file; leave them out with --map "
        "'Creation Date=' (one for each column)"
    ]
    report = import_csv(
        "Lead", csv("email,Who\nann@example.com,alice\n"), built_in_columns=False,
        mapping={"Who": "Created By"},
    )  # fmt: skip
    assert "the column Who is Bubble's built-in field" in report.problems[0]
    assert not leads().exists()
    mapping = {"Creation Date": "", "unique id": ""}
    report = import_csv("Lead", csv(text), built_in_columns=False, mapping=mapping, user=user)
    assert report.ok and leads().get().unique_id != UID1 and leads().get().created_by == user


def test_each_kind_of_cell_is_read_as_bubble_writes_it(crm):
    report = import_csv(
        "Lead",
        table(
            [
                "email",
                "tags",
                "active",
                "photo",
                "place",
                "calls",
                "scores",
                "stage",
                "stages_seen",
            ],
            [
                "a@example.com",
                "red , blue",
                "yes",
                "//s3.amazonaws.com/f/a.png",
                "10 Main St, Springfield",
                "Jan 13, 2016 , Feb 1, 2016",
                "1 , 2.5",
                "won",
                "New , Won",
            ],
            [
                "b@example.com",
                '["x, y", "z"]',
                "FALSE",
                "https://cdn.example.com/b.png",
                '{"address": "Paris", "lat": 48.85, "lng": 2.35}',
                "[]",
                "[3]",
                "",
                "[]",
            ],
        ),
    )
    assert report.ok, messages(report)
    a, b = leads()
    assert a.tags == ["red", "blue"] and b.tags == ["x, y", "z"]
    assert a.active is True and b.active is False
    assert a.photo == "https://s3.amazonaws.com/f/a.png"
    assert a.place == {"address": "10 Main St, Springfield"}
    assert b.place == {"address": "Paris", "lat": 48.85, "lng": 2.35}
    assert [d.date() for d in a.calls] == [datetime.date(2016, 1, 13), datetime.date(2016, 2, 1)]
    assert a.scores == [1, 2.5] and b.scores == [3]
    assert a.stage.display == "Won" and b.stage is None
    assert [o.display for o in a.stages_seen.order_by("position")] == ["New", "Won"]


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("active", "maybe", "'maybe' is not yes or no (yes, no, true or false)"),
        ("follow_up", "someday", "'someday' is not a date ("),
        ("follow_up", "02/30/2016", "'02/30/2016' is not a date: "),
        ("photo", "a picture", "'a picture' is not a file's URL"),
        ("scores", "1 , x", "item 2: 'x' is not a number"),
        ("unique id", "abc", "'abc' is not a unique id"),
        ("company", "1x", "'1x' is not a unique id (1449154312665x293260311940684900) or an id"),
        ("owner", "nobody", "no user has the email or username 'nobody'"),
    ],
)
def test_a_cell_of_the_wrong_kind_names_its_field(crm, column, cell, message):
    report = import_csv("Lead", csv(f'email,{column}\na@example.com,"{cell}"\n'), name="l.csv")
    field = {"unique id": "unique_id"}.get(column, column)
    [error] = messages(report)
    assert error.startswith(f"l.csv line 2, {field}: {message}")


def test_headers_spelled_two_ways_need_a_map(lead_type):
    schema.add_field(lead_type, {"name": "follow_up", "type": "date"})
    schema.add_field(lead_type, {"name": "followUp", "type": "text"})
    data = "email,Follow up\nann@example.com,2016-01-13\n"
    ambiguous = import_csv("Lead", csv(data), name="l.csv")
    assert ambiguous.problems == [
        "l.csv: column 'Follow up' could be follow_up or followUp: say which with "
        "--map 'Follow up=field'"
    ]
    mapped = import_csv("Lead", csv(data), mapping={"Follow up": "follow_up"})
    assert mapped.ok and leads().get().follow_up.year == 2016
    skipped = import_csv("Lead", csv(data.replace("ann", "bob")), mapping={"Follow up": ""})
    assert skipped.ok and leads().last().follow_up is None


def test_an_upload_with_a_byte_order_mark_is_read(lead_type):
    upload = SimpleUploadedFile("leads.csv", "\ufeffemail,score\r\nann@example.com,1\r\n".encode())
    report = import_csv("Lead", upload, name=upload.name)
    assert report.ok and leads().get().score == 1


def test_a_byte_that_is_not_utf8_is_reported_on_its_own_line(lead_type, tmp_path):
    """Far into the file too, where a decoder reading ahead would blame another line."""
    good = "".join(f"lead{i}@example.com,{i}\r\n" for i in range(1000)).encode()
    content = b"email,score\r\n" + good + b"caf\xe9@example.com,4\r\n"
    upload = SimpleUploadedFile("leads.csv", content)
    report = import_csv("Lead", upload, name=upload.name)
    assert report.problems == [
        "leads.csv line 1002: not UTF-8: it holds the byte 0xe9, which UTF-8 does not allow "
        "there (save the file as UTF-8)"
    ]
    assert not report.committed and not leads().exists()
    path = tmp_path / "latin1.csv"
    path.write_bytes("émail\r\nz@example.com\r\n".encode("latin-1"))
    assert import_csv("Lead", path).problems == [
        "latin1.csv: cannot be read as CSV (UTF-8): line 1 holds the byte 0xe9, which UTF-8 "
        "does not allow there (save the file as UTF-8)"
    ]


# --- links ----------------------------------------------------------------------------------


LEADS = f"""
email,company,partners,unique id
ann@example.com,{UID1},"{UID1} , {UID2}",1449154312668x3
bob@example.com,{UID3},,1449154312669x4
"""
COMPANIES = f"""
name,parent,unique id
Acme,{UID3},{UID1}
Beta,,{UID2}
Gamma,{UID1},{UID3}
"""


def test_two_files_link_by_unique_ids_whatever_their_order(crm):
    report = import_files(
        [Source("Lead", csv(LEADS), "leads.csv"), Source("Company", csv(COMPANIES), "c.csv")]
    )
    assert report.ok, messages(report)
    assert [f.imported for f in report.files] == [2, 3]
    company = data_types.get_model("Company")
    acme, beta, gamma = company.objects.order_by("pk")
    assert acme.parent == gamma and gamma.parent == acme and beta.parent is None
    ann, bob = leads()
    assert ann.company == acme and bob.company == gamma
    assert list(ann.partners.order_by("pk")) == [acme, beta] and not bob.partners.exists()


def test_a_link_to_a_thing_that_is_nowhere_refuses_its_row_or_is_left_empty(crm):
    data = f"email,company\nann@example.com,{UID1}\nbob@example.com,\n"
    refused = import_csv("Lead", csv(data), name="l.csv")
    assert messages(refused) == [f"l.csv line 2, company: no Company has the unique id '{UID1}'"]
    assert not leads().exists()
    emptied = import_csv("Lead", csv(data), empty_missing_links=True)
    assert emptied.ok and emptied.files[0].emptied_links == 1
    assert "1 link to missing things left empty" in emptied.summary()
    assert leads().count() == 2 and leads().first().company is None


def test_things_already_there_are_found_by_unique_id_or_id(crm, user):
    acme = data_types.get_model("Company").objects.create(name="Acme", unique_id=UID1)
    beta = data_types.get_model("Company").objects.create(name="Beta")
    report = import_csv(
        "Lead",
        csv(f"email,company,partners,owner\na@example.com,{UID1},{beta.pk},ALICE@example.com\n"),
    )
    assert report.ok, messages(report)
    lead = leads().get()
    assert lead.company == acme and list(lead.partners.all()) == [beta] and lead.owner == user


def test_with_keep_good_rows_a_row_linking_to_a_refused_row_is_refused_too(crm):
    companies = f"name,unique id\n,{UID1}\nBeta,{UID2}\n"  # Acme has no name: refused
    report = import_files(
        [
            Source("Company", csv(companies), "c.csv"),
            Source(
                "Lead", csv(f"email,company\na@example.com,{UID1}\nb@example.com,{UID2}\n"), "l.csv"
            ),
        ],
        keep_good_rows=True,
    )
    assert messages(report) == [
        "c.csv line 2, name: This field cannot be blank.",
        f"l.csv line 2, company: '{UID1}' is c.csv line 2, which was refused",
    ]
    assert [lead.email for lead in leads()] == ["b@example.com"]


def test_a_refused_link_target_found_late_refuses_the_rows_that_point_at_it(crm):
    # Acme's parent names nothing: Acme is refused once links are written, after the lead
    # that points at it was inserted; that lead is refused as well, and neither stays
    companies = f"name,parent,unique id\nAcme,1449154312699x9,{UID1}\n"
    report = import_files(
        [
            Source("Company", csv(companies), "c.csv"),
            Source("Lead", csv(f"email,company\na@example.com,{UID1}\n"), "l.csv"),
        ],
        keep_good_rows=True,
    )
    assert messages(report) == [
        "c.csv line 2, parent: no Company has the unique id '1449154312699x9'",
        "l.csv line 2, company: links to c.csv line 2, refused",
    ]
    assert report.committed and report.imported == 0
    assert not leads().exists() and not data_types.get_model("Company").objects.exists()


# --- dry run, triggers ----------------------------------------------------------------------


def test_a_dry_run_checks_everything_and_writes_nothing(crm):
    report = import_files(
        [Source("Lead", csv(LEADS), "l.csv"), Source("Company", csv(COMPANIES), "c.csv")],
        dry_run=True,
    )
    assert report.ok and report.imported == 5 and not report.committed
    assert report.summary() == "Dry run: 5 rows would be imported; nothing was written."
    assert not leads().exists() and not data_types.get_model("Company").objects.exists()


@pytest.fixture
def on_new_lead(make_workflow):
    return make_workflow(
        "new-lead",
        kind="trigger",
        data_type="Lead",
        on=["create"],
        ignore_privacy=True,
        actions=[{"type": "log", "message": "{{ thing.email }}"}],
    )


def test_an_import_fires_no_trigger_unless_asked(lead_type, on_new_lead, drain):
    import_csv("Lead", csv("email\nann@example.com\n"))
    assert not ScheduledRun.objects.filter(origin=Origin.TRIGGER).exists()
    import_csv("Lead", csv("email\nbob@example.com\ncy@example.com\n"), fire_triggers=True)
    fired = ScheduledRun.objects.filter(origin=Origin.TRIGGER, workflow=on_new_lead)
    assert fired.count() == 2
    assert drain() == ["succeeded", "succeeded"]


def test_a_refused_import_fires_nothing(lead_type, on_new_lead):
    import_csv("Lead", csv("email,score\nann@example.com,x\n"), fire_triggers=True)
    assert not ScheduledRun.objects.exists()


# --- export -----------------------------------------------------------------------------------


def test_an_export_imports_back_into_an_empty_type_as_the_same_things(crm, user):
    report = import_files(
        [Source("Company", csv(COMPANIES), "c.csv"), Source("Lead", csv(LEADS), "l.csv")],
        user=user,
    )
    assert report.ok
    lead_model, company_model = data_types.get_model("Lead"), data_types.get_model("Company")
    ann = leads().first()
    ann.tags, ann.active, ann.scores = ["a, b", "c"], False, [1.5, 2]
    ann.place = {"address": "Paris", "lat": 48.85, "lng": 2.35}
    ann.photo, ann.phone = "https://cdn.example.com/a.png", "+33 1 23"
    ann.follow_up = datetime.datetime(2016, 1, 13, 10, 30, 5, 123456, tzinfo=datetime.UTC)
    ann.calls = [datetime.datetime(2016, 1, 13, tzinfo=datetime.UTC)]
    ann.stage = ann.stages_seen.model.objects.get(display="Won")
    ann.save()
    ann.stages_seen.set(ann.stages_seen.model.objects.filter(display__in=["New", "Lost"]))

    def snapshot() -> list[dict]:
        things = []
        for model in (company_model, lead_model):
            for thing in model.objects.order_by("unique_id"):
                data = data_types.thing_to_dict(thing)
                data.pop("_id")
                for name in ("parent", "company", "partners", "stage", "stages_seen"):
                    if name in data:
                        data[name] = _named(getattr(thing, name))
                things.append(data)
        return things

    before = snapshot()
    companies, lead_file = io.StringIO(), io.StringIO()
    assert export_csv("Company", companies) == 3 and export_csv("Lead", lead_file) == 2
    header = lead_file.getvalue().splitlines()[0]
    assert header.endswith(",Created Date,Modified Date,Created By,unique id")
    lead_model.objects.all().delete()
    company_model.objects.all().delete()
    again = import_files(
        [
            Source("Lead", io.StringIO(lead_file.getvalue()), "l.csv"),
            Source("Company", io.StringIO(companies.getvalue()), "c.csv"),
        ]
    )
    assert again.ok, messages(again)
    assert snapshot() == before


def test_text_that_a_spreadsheet_would_run_is_quoted_and_imports_back_as_it_was(crm, user):
    """OWASP's CSV injection: a text cell starting with = + - @, a tab or a carriage return
    gets a ' before it; numbers and dates are not text and keep their minus sign."""
    user.email = "+alice@example.com"
    user.save()
    schema.save_option_set({"name": "Stage", "options": ["-cold", "New", "Won", "Lost"]})
    lead_model = data_types.get_model("Lead")
    lead_model.objects.create(
        email='=HYPERLINK("http://evil.example")',
        phone="+33 1 23",
        score=-2.5,
        tags=["@SUM(A1)", "b"],
        owner=user,
        stage=lead_model._meta.get_field("stage").related_model.objects.get(display="-cold"),
        place={"address": "-1 Main St"},
        follow_up=datetime.datetime(2016, 1, 13, tzinfo=datetime.UTC),
        active=False,
        unique_id=UID1,
    )
    lead_model.objects.create(email="'=already quoted", phone="'plain", unique_id=UID2)
    fields = ("email", "phone", "score", "tags", "owner", "stage", "place", "follow_up")
    before = list(lead_model.objects.order_by("pk").values(*fields, "unique_id"))
    out = io.StringIO()
    export_csv("Lead", out)
    first, second = csv_module.DictReader(io.StringIO(out.getvalue()))
    assert first["email"] == '\'=HYPERLINK("http://evil.example")'
    assert (first["phone"], first["tags"], first["place"]) == (
        "'+33 1 23",
        "'@SUM(A1) , b",
        "'-1 Main St",
    )
    assert (first["owner"], first["stage"]) == ("'+alice@example.com", "'-cold")
    assert (first["score"], first["follow_up"]) == ("-2.5", "2016-01-13T00:00:00+00:00")
    assert (second["email"], second["phone"]) == ("''=already quoted", "'plain")
    lead_model.objects.all().delete()
    again = import_csv("Lead", io.StringIO(out.getvalue()))
    assert again.ok, messages(again)
    assert list(lead_model.objects.order_by("pk").values(*fields, "unique_id")) == before


def _named(value):
    """A reference or list as its unique ids or displays (pks change on import)."""
    if value is None:
        return None
    if hasattr(value, "all"):
        return sorted(_named(v) for v in value.all())
    return getattr(value, "unique_id", None) or value.display


def test_an_export_writes_references_as_unique_ids_and_lists_as_bubble_does(crm, user):
    import_files(
        [Source("Company", csv(COMPANIES), "c.csv"), Source("Lead", csv(LEADS), "l.csv")],
        user=user,
    )
    out = io.StringIO()
    export_csv("Lead", out)
    rows = out.getvalue().splitlines()
    assert rows[0].startswith("email,phone,score,owner,tags,stage,company,partners,")
    assert f'{UID1},"{UID1} , {UID2}",' in rows[1]
    assert ",alice@example.com,1449154312668x3" in rows[1]  # Created By, unique id


# --- data types written in code ---------------------------------------------------------------


def test_a_type_written_in_code_imports_and_exports_too(db, user):
    from examples.models import Product, Review

    pen = Product.objects.create(name="Pen", price="1.50")
    report = import_csv(
        "examples.Review",
        csv(
            f'product,rating,text,tags,unique id\n{pen.pk},5,Great,"a , b",{UID1}\n{pen.pk},9,,,\n'
        ),
        keep_good_rows=True,
        user=user,
        name="r.csv",
    )
    assert messages(report) == [
        "r.csv line 3, rating: Ensure this value is less than or equal to 5."
    ]
    review = Review.objects.get()
    assert (review.product, review.rating, review.tags, review.unique_id) == (
        pen,
        5,
        ["a", "b"],
        UID1,
    )
    assert review.created_by == user
    out = io.StringIO()
    export_csv("examples.Review", out)
    assert out.getvalue().splitlines()[1].startswith(f'{pen.pk},5,Great,"a , b",')


def test_a_code_type_s_export_imports_back_without_the_fields_its_model_sets(db, customer):
    out = io.StringIO()
    export_csv("examples.Customer", out)
    assert out.getvalue().splitlines()[0] == "name,email,user,created_at"
    report = import_csv("examples.Customer", io.StringIO(out.getvalue()))
    assert report.ok and report.files[0].skipped == [
        "created_at (set by the model when the row is saved)"
    ]
    first, second = Customer.objects.order_by("pk")
    assert (second.name, second.email, second.user) == (first.name, first.email, first.user)


def test_users_are_not_imported_from_csv(db):
    report = import_csv("auth.User", csv("username\nann\n"), name="u.csv")
    assert report.problems[0].startswith("u.csv: users are not imported from CSV")


def test_what_the_database_alone_refuses_is_found_row_by_row(db, user, other_user):
    from examples.models import Profile

    # a one-to-one link is unique in the database only: the batch's INSERT fails, then
    # each row is tried on its own to say which
    report = import_csv(
        "examples.Profile",
        csv("user,birthday\nalice,2000-01-02\nbob@example.com,\nALICE,1999-05-06\n"),
        keep_good_rows=True,
        name="p.csv",
    )
    [error] = messages(report)
    assert error.startswith("p.csv line 4: the database refused it: ")
    assert sorted(Profile.objects.values_list("user__username", "birthday")) == [
        ("alice", datetime.date(2000, 1, 2)),
        ("bob", None),
    ]


def test_a_line_number_counts_the_lines_of_a_cell_that_spans_several(lead_type):
    report = import_csv(
        "Lead",
        csv('email,phone\n"ann@example.com","line one\nline two"\nbob@example.com,\n,x\n'),
        name="l.csv",
    )
    assert messages(report) == ["l.csv line 5, email: This field cannot be blank."]


def test_a_file_of_bad_rows_keeps_a_bounded_list_of_messages_and_counts_them_all(lead_type):
    from workflows.data_model import csv_io
    from workflows.data_model.csv_report import RowErrors

    rows = "email,score\n" + "".join(f"{n}@example.com,not-a-number\n" for n in range(1050))
    report = csv_io.import_csv("Lead", io.StringIO(rows), name="bad.csv")
    assert len(report.errors) == 1050 and report.errors.not_kept == 1050 - RowErrors.KEPT
    assert len(list(report.errors)) == RowErrors.KEPT
    assert not report.ok and not report.committed


def test_a_list_cell_of_many_spaces_is_read_in_linear_time(lead_type):
    from workflows.data_model.csv_values import _split

    assert _split(" a ,  b,c ") == ["a", "b", "c"]
    assert _split("a" + " " * 200_000 + "b") == ["a" + " " * 200_000 + "b"]
