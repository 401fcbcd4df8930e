"""The exercise system (issue 16), chapter 4 pilot: every question's reference passes on the
shipped data and on two students' variants, each typical mistake gets its own hint, blank
answers get "not yet", variants differ, no expected value is readable in student-facing files,
and the exercise notebook runs blank and with the reference answers."""
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from crmlab.exercises import ch04
from crmlab.exercises.core import ExerciseData, judge, student_data

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "exercises" / "04_differentiate_customers_exercises.ipynb"
STUDENTS = ("2025012345", "2025067890")
QUESTIONS = {q.id: q for q in ch04.QUESTIONS}
GRADED = [q for q in ch04.QUESTIONS if q.kind != "text"]
NUMERIC = [q for q in ch04.QUESTIONS if q.kind in ("number", "integer")]
GOOD_TEXT = ("Monetary value is very skewed: a few huge spenders pull the mean far above the median, so the mean "
             "split marks few customers as high and the median split about half. For a premium programme with "
             "a fixed budget per customer I would use the mean split, which keeps the class small.")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("crmlab_cache")


@pytest.fixture(scope="module")
def datas(cache):
    shared = ExerciseData(None)
    return {"shared": shared, **{sid: student_data(sid, cache_dir=cache) for sid in STUDENTS}}


def _as_student_prints(question, value):
    """The reference as a student would type it: 3 decimals for shares, whole numbers for counts."""
    if question.kind == "number":
        return round(float(value), 3)
    if question.kind == "integer":
        return int(round(value))
    return value


@pytest.mark.parametrize("which", ["shared", *STUDENTS])
@pytest.mark.parametrize("qid", [q.id for q in GRADED])
def test_the_reference_passes(datas, qid, which):
    q, data = QUESTIONS[qid], datas[which]
    value = q.reference(data)
    assert judge(q, value, data).status == "correct"
    assert judge(q, _as_student_prints(q, value), data).status == "correct"
    if q.kind == "number":
        assert judge(q, f"{value:.1%}", data).status == "correct"     # "76.4%" is read as 0.764


def test_a_choice_is_accepted_by_key_english_and_chinese_name(datas):
    from crmlab.rfm import CLASSES
    q, data = QUESTIONS["q7"], datas[STUDENTS[0]]
    key = q.reference(data)
    en, zh = next((e, z) for k, e, z, *_ in CLASSES if k == key)
    assert [judge(q, a, data).status for a in (key, en.upper(), f" {zh} ")] == ["correct"] * 3


@pytest.mark.parametrize("which", STUDENTS)
@pytest.mark.parametrize("qid", [q.id for q in GRADED])
def test_each_typical_mistake_gets_its_own_hint(datas, qid, which):
    q, data = QUESTIONS[qid], datas[which]
    target = q.reference(data)
    names = [m.name for m in q.mistakes]
    assert len(set(names)) == len(names) >= 2
    for mistake in q.mistakes:
        wrong = mistake.compute(data)
        given = round(float(wrong), 3) if q.kind == "number" and abs(wrong) < 10 else (
            round(float(wrong), 1) if q.kind == "number" else wrong)
        result = judge(q, given, data)
        assert (result.status, result.mistake) == ("not yet", mistake.name), (qid, mistake.name)
        assert result.message == "Not yet: " + mistake.hint
        if q.kind != "choice":
            for shown in (str(target), f"{target:.2f}", f"{target:.3f}", f"{wrong:.2f}", f"{wrong:.3f}"):
                assert shown not in result.message


def test_the_shared_data_mistake_names_the_student_id(datas):
    q, data = QUESTIONS["q5"], datas[STUDENTS[1]]
    result = judge(q, q.reference(datas["shared"]), data)
    assert result.mistake == "shared" and "STUDENT_ID" in result.message


@pytest.mark.parametrize("qid", list(QUESTIONS))
@pytest.mark.parametrize("blank", [None, "", "   ", [0.5], {"a": 1}, True, "abc", float("nan")])
def test_a_blank_or_malformed_answer_is_not_yet(datas, qid, blank):
    result = judge(QUESTIONS[qid], blank, datas["shared"])
    assert result.status == "not yet" and result.message.startswith("Not yet:")


def test_an_unknown_wrong_answer_gets_a_plain_hint_without_the_target(datas):
    q, data = QUESTIONS["q3"], datas[STUDENTS[0]]
    result = judge(q, 7, data)
    assert (result.status, result.mistake) == ("not yet", None)
    assert str(q.reference(data)) not in result.message


def test_a_text_answer_is_stored_with_no_rubric_before_submission(datas, tmp_path, monkeypatch, capsys):
    from crmlab.exercises import check, progress, start
    monkeypatch.chdir(tmp_path)
    start("ch04", None)
    assert check("q8", "too short") == "not yet"
    assert "A good answer covers" not in capsys.readouterr().out
    assert check("q8", GOOD_TEXT) == "to be marked"
    out = capsys.readouterr().out
    assert "A good answer covers" in out and QUESTIONS["q8"].rubric[0] in out
    saved = json.loads((tmp_path / "crmlab_answers.json").read_text(encoding="utf-8"))
    assert saved == {"ch04": {"q8": {"status": "to be marked", "text": GOOD_TEXT}}}
    assert check("q3", QUESTIONS["q3"].reference(ExerciseData(None))) == "correct"
    assert progress()["status"].to_dict() == {"q1": "not yet", "q2": "not yet", "q3": "done", "q4": "not yet",
                                              "q5": "not yet", "q6": "not yet", "q7": "not yet",
                                              "q8": "to be marked"}


@pytest.mark.parametrize("qid", [q.id for q in NUMERIC])
def test_two_students_have_different_correct_answers(datas, qid):
    q = QUESTIONS[qid]
    a, b = (q.reference(datas[s]) for s in STUDENTS)
    assert abs(a - b) > q.tolerance
    assert judge(q, a, datas[STUDENTS[1]]).status == "not yet"


def test_the_cache_holds_the_tables_only_and_is_deterministic(cache, datas, tmp_path):
    folder = datas[STUDENTS[0]].data_dir
    assert folder.parent.parent == cache
    assert sorted(p.name for p in folder.iterdir()) == ["retail"]
    assert not any(cache.rglob("retail_truth")) and not any(cache.rglob("*.json"))
    assert all(p.suffix == ".csv" for p in folder.rglob("*") if p.is_file())
    again = student_data(STUDENTS[0], cache_dir=tmp_path)
    assert (again.data_dir / "retail" / "orders.csv").read_bytes() == (folder / "retail" / "orders.csv").read_bytes()


def _printed(question, value):
    """The expected value in the precisions it is usually printed in."""
    if question.kind == "number":
        return [f"{value:.2f}", f"{value:.3f}", f"{value:.4f}", f"{value:.1%}", f"{value * 100:.1f}"]
    return [str(int(value)), f"{int(value):,}", f"{int(value):,}".replace(",", " ")]


def _text_files(folder):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            try:
                yield path, path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                continue     # a font: no printed numbers in it


def test_no_expected_value_is_readable_in_the_student_facing_files(datas):
    data = datas[STUDENTS[0]]
    files = [(NOTEBOOK, NOTEBOOK.read_text(encoding="utf-8")), *_text_files(ROOT / "crmlab")]
    for q in NUMERIC:
        value = q.reference(data)
        if q.kind == "integer" and abs(value) < 100:
            continue        # a small whole number (a recency in days) occurs in any text; see the report
        for shown in _printed(q, value):
            pattern = re.compile(r"(?<![\d.])" + re.escape(shown) + r"(?![\d])")
            hits = [str(path) for path, text in files if pattern.search(text)]
            assert hits == [], (q.id, shown, hits)
    # The cache holds the student's tables only: amounts and ids, never a result of the analysis.
    for q in [q for q in NUMERIC if q.kind == "number"]:
        value = q.reference(data)
        for shown in (f"{value:.3f}", f"{value:.4f}", f"{value:.1%}"):
            pattern = re.compile(r"(?<![\d.])" + re.escape(shown) + r"(?![\d])")
            assert not any(pattern.search(text) for _, text in _text_files(data.data_dir)), (q.id, shown)


def _run_notebook(tmp_path, monkeypatch, cache, student_id=None, answers=None):
    monkeypatch.setenv("CRMLAB_CACHE_DIR", str(cache))
    nb = nbformat.read(NOTEBOOK, as_version=4)
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


@pytest.mark.notebooks
def test_the_notebook_runs_blank(tmp_path, monkeypatch, cache):
    lines, checks, table = _run_notebook(tmp_path, monkeypatch, cache)
    assert "shared sample data" in lines[0]
    assert list(checks) == list(QUESTIONS)
    assert all(message.startswith("Not yet: no answer given.") for message in checks.values())
    assert table.count("not yet") == len(QUESTIONS) and "done" not in table
    assert not (tmp_path / "crmlab_answers.json").exists()


@pytest.mark.notebooks
def test_the_notebook_accepts_a_students_reference_answers(tmp_path, monkeypatch, cache, datas):
    data = datas[STUDENTS[1]]
    answers = {q.id: _as_student_prints(q, q.reference(data)) for q in GRADED}
    answers["q8"] = GOOD_TEXT
    lines, checks, table = _run_notebook(tmp_path, monkeypatch, cache, STUDENTS[1], answers)
    assert f"student {STUDENTS[1]}" in lines[0]
    assert {qid: m for qid, m in checks.items()} == {**{q.id: "Correct." for q in GRADED},
                                                     "q8": "Saved for your instructor."}
    assert table.count("done") == len(GRADED) and table.count("to be marked") == 1 and "not yet" not in table
    saved = json.loads((tmp_path / "crmlab_answers.json").read_text(encoding="utf-8"))
    assert saved["ch04"]["q8"]["text"] == GOOD_TEXT
    assert len(list((cache / "students").iterdir())) == 2     # the variant came from the cache
