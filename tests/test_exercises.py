"""The exercises (issue 16), for every chapter that has them: each question's reference passes
on the shipped data and on two students' variants, each typical mistake gets its own hint,
blank answers get "not yet", variants differ, no expected value is readable in the
student-facing files, and each exercise notebook runs blank and with a student's answers."""
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from _scripts import load_script
from crmlab.exercises import chapters, questions
from crmlab.exercises.core import KINDS, ExerciseData, judge, student_data
from crmlab.exercises.release import release_notebook

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "crmlab" / "exercises"
STUDENTS = ("2025012345", "2025067890")
CHAPTERS = chapters()
ALL = [(chapter, q) for chapter in CHAPTERS for q in questions(chapter)]
GRADED = [(c, q) for c, q in ALL if q.kind != "text"]
NUMERIC = [(c, q) for c, q in ALL if q.kind in ("number", "integer", "table")]
TEXT = [(c, q) for c, q in ALL if q.kind == "text"]
GOOD_TEXT = ("The figures are skewed by a few very large customers, so the mean and the median tell different "
             "stories; I would plan with the measure that matches the size of the programme and its budget, "
             "and check the result again on next quarter's data before deciding.")
# The mistakes the issue names; each must be recognised somewhere in the exercises.
NAMED_MISTAKES = {"date", "returns", "percent", "weeks", "churn_definition", "median", "shared"}


def _ids(pairs):
    return [f"{c}-{q.id}" for c, q in pairs]


def notebook(chapter):
    found = sorted((ROOT / "exercises").glob(f"{chapter[2:]}_*_exercises.ipynb"))
    assert len(found) == 1, (chapter, found)
    return found[0]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("crmlab_cache")


@pytest.fixture(scope="module")
def datas(cache):
    shared = ExerciseData(None)
    return {"shared": shared, **{sid: student_data(sid, cache_dir=cache) for sid in STUDENTS}}


def as_typed(question, value):
    """The reference as a student would type it: 3 decimals for shares, whole numbers for counts,
    a plain dict for a table."""
    if question.kind == "number":
        return round(float(value), 3)
    if question.kind == "integer":
        return int(round(value))
    if question.kind == "table":
        return {str(k): round(float(v), 3) for k, v in value.items()}
    return value


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_rises_from_computing_to_interpreting(chapter):
    qs = questions(chapter)
    assert 6 <= len(qs) <= 10
    assert [q.id for q in qs] == [f"q{i}" for i in range(1, len(qs) + 1)]
    assert {q.kind for q in qs} <= set(KINDS)
    assert qs[0].kind in ("number", "integer", "table")          # starts by computing
    assert any(q.kind == "text" for q in qs)                      # and asks for an interpretation
    assert any(q.kind == "choice" or q.prompt.startswith("Decide") for q in qs)
    assert all(q.reference is not None for q in qs if q.kind != "text")
    assert all(q.rubric for q in qs if q.kind == "text")


def test_the_mistakes_the_issue_names_are_each_recognised_somewhere():
    names = {m.name for _, q in ALL for m in q.mistakes}
    assert NAMED_MISTAKES <= names, NAMED_MISTAKES - names


@pytest.mark.parametrize("which", ["shared", *STUDENTS])
@pytest.mark.parametrize("chapter, q", GRADED, ids=_ids(GRADED))
def test_the_reference_passes(datas, chapter, q, which):
    data = datas[which]
    value = q.reference(data)
    assert judge(q, value, data).status == "correct"
    assert judge(q, as_typed(q, value), data).status == "correct"
    if q.kind == "number" and 0 <= value <= 1:
        assert judge(q, f"{value:.1%}", data).status == "correct"     # "76.4%" is read as 0.764
    if q.kind == "table":
        assert judge(q, pd.Series(as_typed(q, value)).to_frame("mine"), data).status == "correct"


@pytest.mark.parametrize("chapter, q", [(c, q) for c, q in GRADED if q.kind == "choice"],
                         ids=_ids([(c, q) for c, q in GRADED if q.kind == "choice"]))
def test_a_choice_is_accepted_under_each_of_its_names(datas, chapter, q):
    data = datas[STUDENTS[0]]
    key = q.reference(data)
    names = [label for label, canonical in q.choices.items() if canonical == key]
    assert len(names) >= 2       # at least the key and a Chinese or English name
    assert all(judge(q, f" {name.upper()} ", data).status == "correct" for name in names)


def _typed_wrong(question, wrong):
    if question.kind == "number":
        return round(float(wrong), 3) if abs(wrong) < 10 else round(float(wrong), 1)
    return as_typed(question, wrong)


@pytest.mark.parametrize("which", STUDENTS)
@pytest.mark.parametrize("chapter, q", GRADED, ids=_ids(GRADED))
def test_each_typical_mistake_gets_its_own_hint(datas, chapter, q, which):
    data = datas[which]
    target = q.reference(data)
    names = [m.name for m in q.mistakes]
    assert len(set(names)) == len(names) >= 2
    for mistake in q.mistakes:
        wrong = mistake.compute(data)
        result = judge(q, _typed_wrong(q, wrong), data)
        assert (result.status, result.mistake) == ("not yet", mistake.name), (q.id, mistake.name)
        assert result.message == "Not yet: " + mistake.hint
        if q.kind in ("number", "integer"):
            for shown in (str(target), f"{target:.2f}", f"{target:.3f}", f"{wrong:.2f}", f"{wrong:.3f}"):
                assert shown not in result.message


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_shared_data_mistake_names_the_student_id(datas, chapter):
    shared = [(q, m) for q in questions(chapter) for m in q.mistakes if m.name == "shared"]
    assert shared, f"{chapter} does not recognise an answer computed on the shared data"
    data = datas[STUDENTS[1]]
    for q, mistake in shared:
        result = judge(q, as_typed(q, q.reference(datas["shared"])), data)
        assert result.mistake == "shared" and "STUDENT_ID" in result.message, q.id


@pytest.mark.parametrize("chapter, q", ALL, ids=_ids(ALL))
@pytest.mark.parametrize("blank", [None, "", "   ", [0.5], {"a": "x"}, True, "abc", float("nan"),
                                   pd.DataFrame()])
def test_a_blank_or_malformed_answer_is_not_yet(datas, chapter, q, blank):
    result = judge(q, blank, datas["shared"])
    assert result.status == "not yet" and result.message.startswith("Not yet:")


@pytest.mark.parametrize("chapter, q", [(c, q) for c, q in NUMERIC if q.kind != "table"],
                         ids=_ids([(c, q) for c, q in NUMERIC if q.kind != "table"]))
def test_an_unknown_wrong_answer_gets_a_plain_hint_without_the_target(datas, chapter, q):
    data = datas[STUDENTS[0]]
    target = q.reference(data)
    odd = target * 1.37 + 11          # none of the named mistakes
    result = judge(q, odd, data)
    assert (result.status, result.mistake) == ("not yet", None)
    assert f"{target:.2f}" not in result.message and str(target) not in result.message


@pytest.mark.parametrize("chapter, q", [(c, q) for c, q in NUMERIC if q.kind == "table"],
                         ids=_ids([(c, q) for c, q in NUMERIC if q.kind == "table"]))
def test_a_table_with_wrong_or_empty_rows_is_told_which_rows(datas, chapter, q):
    data = datas[STUDENTS[0]]
    typed = as_typed(q, q.reference(data))
    first = next(iter(typed))
    result = judge(q, {k: v for k, v in typed.items() if k != first}, data)
    assert result.status == "not yet" and f"rows missing: {first}" in result.message
    result = judge(q, {**typed, first: float("nan")}, data)     # e.g. a class with no interval to average
    assert result.status == "not yet" and f"no number in the rows {first} (NaN)" in result.message


@pytest.mark.parametrize("chapter, q", [(c, q) for c, q in NUMERIC if q.kind == "table"],
                         ids=_ids([(c, q) for c, q in NUMERIC if q.kind == "table"]))
def test_a_table_question_gives_credit_for_the_share_of_its_rows_that_are_right(datas, chapter, q):
    assert q.partial     # every table question of the kit gives partial credit
    data = datas[STUDENTS[0]]
    typed = as_typed(q, q.reference(data))
    first = next(iter(typed))
    assert judge(q, typed, data).credit == 1.0
    off = judge(q, {**typed, first: typed[first] + 1000}, data)
    assert off.status == "not yet" and off.credit == round((len(typed) - 1) / len(typed), 4)
    missing = judge(q, {k: v for k, v in typed.items() if k != first}, data)
    assert missing.credit == off.credit
    assert judge(q, {k: v + 1000 for k, v in typed.items()}, data).credit == 0.0


@pytest.mark.parametrize("chapter, q", TEXT, ids=_ids(TEXT))
def test_a_text_answer_is_stored_with_no_rubric_before_submission(tmp_path, monkeypatch, capsys, chapter, q):
    from crmlab.exercises import check, progress, start
    monkeypatch.chdir(tmp_path)
    start(chapter, None)
    assert check(q.id, "too short") == "not yet"
    assert "A good answer covers" not in capsys.readouterr().out
    assert check(q.id, GOOD_TEXT) == "to be marked"
    out = capsys.readouterr().out
    assert "A good answer covers" in out and all(point in out for point in q.rubric)
    saved = json.loads((tmp_path / "crmlab_answers.json").read_text(encoding="utf-8"))
    assert saved == {chapter: {q.id: {"status": "to be marked", "text": GOOD_TEXT}}}
    status = progress()["status"]
    assert status[q.id] == "to be marked" and (status.drop(q.id) == "not yet").all()


@pytest.mark.parametrize("chapter, q", NUMERIC, ids=_ids(NUMERIC))
def test_two_students_have_different_correct_answers(datas, chapter, q):
    a, b = (q.reference(datas[s]) for s in STUDENTS)
    if q.kind == "table":
        assert not judge(q, a, datas[STUDENTS[1]]).status == "correct"
    else:
        assert abs(a - b) > q.tolerance
    assert judge(q, as_typed(q, a), datas[STUDENTS[1]]).status == "not yet"


def test_the_cache_holds_the_tables_only_and_is_deterministic(cache, datas, tmp_path):
    folder = datas[STUDENTS[0]].data_dir
    assert folder.parent.parent == cache
    assert sorted(p.name for p in folder.iterdir()) == ["retail"]
    assert not any(cache.rglob("retail_truth")) and not any(cache.rglob("*.json"))
    assert all(p.suffix == ".csv" for p in folder.rglob("*") if p.is_file())
    again = student_data(STUDENTS[0], cache_dir=tmp_path)
    assert (again.data_dir / "retail" / "orders.csv").read_bytes() == (folder / "retail" / "orders.csv").read_bytes()


def test_a_cache_folder_that_cannot_be_written_is_named_with_the_fix(tmp_path):
    blocked = tmp_path / "a_file"
    blocked.write_text("not a folder")
    with pytest.raises(OSError, match=r"Cannot write your data to the cache folder .*a_file.*CRMLAB_CACHE_DIR"):
        student_data("2025000001", cache_dir=blocked / "cache")


def test_the_sql_chapters_references_are_what_the_warehouse_gives(tmp_path):
    """Chapters 8-9 (ch08): the references are computed in pandas, apart from the database the student
    queries; on the CRM database built from the same data, the warehouse's OLAP queries agree with them."""
    from crmlab.crm_system import build_database
    from crmlab.warehouse import build_star_schema, olap
    data = ExerciseData(None)
    url = "sqlite:///" + (tmp_path / "crm.sqlite").as_posix()
    build_database(url)
    build_star_schema(url)
    qs = {q.id: q for q in questions("ch08")}
    regions = olap(url, by=["region"], measures=["revenue"], where={"year": 2025}).set_index("region")["revenue"]
    assert judge(qs["q2"], regions, data).status == "correct"
    channels = olap(url, by=["channel"], measures=["revenue", "orders"], where={"year": 2025}).set_index("channel")
    assert judge(qs["q3"], channels["revenue"] / channels["orders"], data).status == "correct"
    quarters = olap(url, by=["quarter"], measures=["customers"], where={"year": 2025}).set_index("quarter")
    assert judge(qs["q6"], quarters["customers"], data).status == "correct"
    months = olap(url, by=["quarter", "month"], measures=["customers"], where={"year": 2025})
    summed = judge(qs["q6"], months.groupby("quarter")["customers"].sum(), data)
    assert summed.mistake == "summed_months"


# ----------------------------------------------------------------- nothing gives an answer away

def _values(q, value):
    return [float(v) for v in value.to_numpy()] if q.kind == "table" else [value]


def _printed(q, value):
    """A value in the precisions it is usually printed in (a share to 2 decimals, "0.65", is in any
    text: it is searched as 3 and 4 decimals and as a percent)."""
    if q.kind in ("number", "table") and float(value) != int(value):
        shown = [f"{value:.3f}", f"{value:.4f}", f"{value:.1%}", f"{value * 100:.1f}"]
        return shown + [f"{value:.2f}"] if abs(value) >= 1 else shown
    return [str(int(value)), f"{int(value):,}", f"{int(value):,}".replace(",", " ")]


def _readable(path):
    """What a reader sees of a notebook: its sources and printed outputs, not the images' bytes."""
    nb = nbformat.read(path, as_version=4)
    parts = [cell.source for cell in nb.cells]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [v for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


def _text_files(folder, skip=()):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in skip:
            try:
                yield path, path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                continue     # a font: no printed numbers in it


def _found(shown, files, pattern=r"(?<![\d.]){}(?![\d])"):
    regex = re.compile(pattern.format(re.escape(shown)))
    return [str(path) for path, text in files if regex.search(text)]


def test_no_expected_value_is_readable_in_the_student_facing_files(datas):
    """A test student's expected values, as printed, occur in no notebook, no file of the package
    and no text file of the data folder. (The data tables themselves hold amounts and ids, where any
    number turns up by chance; the student's cache holds only such tables, see the cache test.)"""
    data = datas[STUDENTS[0]]
    notebooks = [(p, _readable(p)) for p in sorted((ROOT / "exercises").glob("*.ipynb"))]
    package = list(_text_files(ROOT / "crmlab"))
    data_folder = list(_text_files(ROOT / "datasets", skip=(".csv", ".txt")))   # the tables: amounts, ids
    checked = 0
    for chapter, q in NUMERIC:
        for value in _values(q, q.reference(data)):
            for shown in _printed(q, value):
                if abs(value) >= 100 or float(value) != int(value):
                    assert _found(shown, notebooks + package + data_folder) == [], (chapter, q.id, shown)
                else:
                    # A small whole number (a count of days) occurs in any text; as an answer it would
                    # be written next to "=", ":" or "==" in the exercises' own files.
                    modules = [(p, p.read_text(encoding="utf-8")) for p in sorted(EXERCISES.glob("ch*.py"))]
                    assert _found(shown, notebooks + modules, r"(?:==?|:)\s*{}(?![\d.])") == [], (chapter, q.id, shown)
                checked += 1
    assert checked >= 3 * len(NUMERIC)


# ----------------------------------------------------------------- the notebooks themselves

def _run_notebook(path, tmp_path, monkeypatch, cache, student_id=None, answers=None):
    monkeypatch.setenv("CRMLAB_CACHE_DIR", str(cache))
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if student_id and 'STUDENT_ID = ""' in cell.source:
            cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {student_id!r}")
        for qid, value in (answers or {}).items():
            cell.source = cell.source.replace(f"answer_{qid} = None", f"answer_{qid} = {value!r}")
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    lines = [line for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
             if out.get("name") == "stdout" for line in out.text.splitlines()]
    checks = {line.split(" — ")[0]: line.split(" — ")[1] for line in lines if " — " in line}
    table = next(out.data["text/plain"] for out in nb.cells[-1].outputs if "data" in out)
    return lines, checks, table


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_notebook_shows_every_question_as_the_grader_defines_it(chapter):
    question_cells = load_script("tools/make_exercise_notebook.py").question_cells
    nb = nbformat.read(notebook(chapter), as_version=4)
    first = next(i for i, cell in enumerate(nb.cells) if cell.source.startswith("## Q1"))
    students = release_notebook(nbformat.v4.new_notebook(cells=question_cells(chapter)))
    assert [c.source for c in nb.cells[first:]] == [c.source for c in students.cells]
    assert f'start("{chapter}", STUDENT_ID)' in "".join(c.source for c in nb.cells[:first])


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_notebook_runs_blank(tmp_path, monkeypatch, cache, chapter):
    qs = questions(chapter)
    lines, checks, table = _run_notebook(notebook(chapter), tmp_path, monkeypatch, cache)
    assert "shared sample data" in lines[0]
    assert list(checks) == [q.id for q in qs]
    assert all(message.startswith("Not yet: no answer given.") for message in checks.values())
    assert table.count("not yet") == len(qs) and "done" not in table
    assert not (tmp_path / "crmlab_answers.json").exists()


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_notebook_accepts_a_students_reference_answers(tmp_path, monkeypatch, cache, datas, chapter):
    qs = questions(chapter)
    data = datas[STUDENTS[1]]
    answers = {q.id: as_typed(q, q.reference(data)) if q.kind != "text" else GOOD_TEXT for q in qs}
    lines, checks, table = _run_notebook(notebook(chapter), tmp_path, monkeypatch, cache, STUDENTS[1], answers)
    assert f"student {STUDENTS[1]}" in lines[0]
    assert checks == {q.id: "Correct." if q.kind != "text" else "Saved for your instructor." for q in qs}
    graded = sum(q.kind != "text" for q in qs)
    assert table.count("done") == graded and table.count("to be marked") == len(qs) - graded
    assert "not yet" not in table
    saved = json.loads((tmp_path / "crmlab_answers.json").read_text(encoding="utf-8"))
    assert all(saved[chapter][q.id]["text"] == GOOD_TEXT for q in qs if q.kind == "text")
    assert len(list((cache / "students").iterdir())) == 2     # the variant came from the cache
