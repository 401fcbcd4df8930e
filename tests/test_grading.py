"""Grading outside the student's kernel (issue 17): honest and adversarial submissions each get
exactly the marks their real answers deserve, the batch goes on, the gradebook adds up and a
second run gives the same file byte for byte; answer keys regenerate a student's key."""
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from crmlab.exercises import chapters, questions
from crmlab.exercises.core import judge, student_data
from crmlab.exercises.grading import grade, student_of

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "ch04"
NOTEBOOK = ROOT / "exercises" / "04_differentiate_customers_exercises.ipynb"
TEXT = ("Monetary values are skewed: a few large customers pull the mean far above the median, so the mean split "
        "marks few customers as high. For a small premium programme I would budget with the mean split.")
FAKE_FLOAT = ("class Always(float):\n"
              "    def __eq__(self, other): return True\n"
              "    def __sub__(self, other): return 0.0\n"
              "    def __rsub__(self, other): return 0.0\n"
              "    def __abs__(self): return 0.0\n"
              "    def __float__(self): return 1e9\n")


def typed(q, value):
    if q.kind == "number":
        return round(float(value), 3)
    return int(value) if q.kind == "integer" else value


def honest(student, cache):
    data = student_data(student, cache_dir=cache)
    return {q.id: TEXT if q.kind == "text" else typed(q, q.reference(data)) for q in questions(CHAPTER)}


def write(folder, name, student, answers, *, extra=None, code=None):
    """The exercise notebook as a student hands it in: answers typed in, maybe a cell of their own."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {student!r}")
        for qid, value in answers.items():
            cell.source = cell.source.replace(f"answer_{qid} = None", f"answer_{qid} = {value!r}")
        for qid, text in (code or {}).items():
            cell.source = cell.source.replace(f"answer_{qid} = None", f"answer_{qid} = {text}")
    if extra:
        nb.cells.insert(2, nbformat.v4.new_code_cell(extra))
    nbformat.write(nb, folder / f"{name}.ipynb")


def deserved(answers, student, cache):
    """The points the answers deserve, judged directly (text answers wait for the instructor)."""
    data = student_data(student, cache_dir=cache)
    return sum(q.points for q in questions(CHAPTER) if judge(q, answers.get(q.id), data).status == "correct")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    folder, out, cache = root / "submissions", root / "out", root / "out" / "student_data"
    folder.mkdir()
    expected = {}

    def add(name, answers, **kwargs):
        write(folder, name, name, answers, **kwargs)
        expected[name] = deserved(answers, name, cache)

    add("S01", honest("S01", cache))                                     # all right
    add("S02", {})                                                       # the released blank
    add("S03", honest("S03", cache), extra="raise RuntimeError('a cell that crashes')")
    add("S04", honest("S04", cache), extra="import time\nwhile True:\n    time.sleep(0.1)")
    add("S05", honest("S05", cache), extra="hog = bytearray(16 * 1024 ** 3)")
    wrong = {**honest("S06", cache), "q1": 0.5}
    add("S06", wrong, extra="def check(*args, **kwargs):\n    print('q1 — Correct.')\n    return 'correct'")
    faked = {k: v for k, v in honest("S07", cache).items() if k != "q1"}
    write(folder, "S07", "S07", faked, extra=FAKE_FLOAT, code={"q1": "Always(0.25)"})
    expected["S07"] = deserved({**faked, "q1": 0.25}, "S07", cache)      # its real value, 0.25
    (folder / "S08.ipynb").write_text("{this is not a notebook", encoding="utf-8")
    expected["S08"] = 0
    # Edits its own copy of the data, the grader's copy of its own and of S01's data and key, and
    # the gradebook: the copy is thrown away, the grader's copies are set back, the gradebook rewritten.
    grader_copies = [p for s in ("S09", "S01") for p in (student_data(s, cache_dir=cache).data_dir / "retail" /
                                                          "orders.csv", cache / "keys" / student_data(s, cache_dir=cache).data_dir.name / "ch04.json")]
    add("S09", honest("S09", cache),
        extra=("import glob, os\n"
               "for f in glob.glob(os.environ['CRMLAB_CACHE_DIR'] + '/**/*.csv', recursive=True):\n"
               "    open(f, 'w').write('customer_id\\n')\n"
               f"for f in {[str(p) for p in grader_copies]!r}:\n"
               "    open(f, 'w').write('{}')\n"
               f"open({str(out / 'gradebook.csv')!r}, 'w').write('student,points\\nS09,999\\n')"))
    # A patched judge inside the kernel changes nothing: judging happens in the grader.
    add("S10", honest("S10", cache), extra="import sys\nsys.modules['crmlab.exercises.core'].judge = None")
    add("S11", honest("S11", cache), extra="import os\nos._exit(3)")    # kills its process: run again without it
    # Patched builtins and json do not change how the answers are taken out.
    add("S12", honest("S12", cache),
        extra=("import builtins, io, json, math\njson.dumps = lambda *a, **k: '{}'\nmath.isfinite = lambda x: False\n"
               "builtins.open = lambda *a, **k: io.StringIO()"))
    # An input transformer that turns every later check into "Correct": the answers are still wrong.
    add("S13", {q.id: 0.5 for q in questions(CHAPTER)},
        extra=("def always_correct(lines):\n"
               "    return [\"print('Correct.')\\n\" if l.startswith('check(') else l for l in lines]\n"
               "get_ipython().input_transformers_post.append(always_correct)"))
    # A copy of a classmate's notebook (S01's id and answers) earns what those answers earn on S14's data.
    write(folder, "S14", "S01", honest("S01", cache))
    expected["S14"] = deserved(honest("S01", cache), "S14", cache)
    # Calls the package's own reference: the answer counts (it is right), the instructor is told.
    write(folder, "S15", "S15", {},
          code={"q1": "__import__('crmlab.exercises.ch04').exercises.ch04.QUESTIONS[0].reference(session['data'])"})
    expected["S15"] = deserved({"q1": honest("S15", cache)["q1"]}, "S15", cache)
    book = grade(folder, CHAPTER, out=out, timeout=10, memory_mb=3000)
    return book, out, folder, expected


@pytest.mark.notebooks
def test_every_submission_gets_exactly_what_its_real_answers_deserve(graded):
    book, _, _, expected = graded
    totals = book.groupby("student")["total"].first().to_dict()
    assert totals == expected
    assert expected["S01"] == sum(q.points for q in questions(CHAPTER) if q.kind != "text")
    assert expected["S02"] == 0 and expected["S06"] == expected["S01"] - 1 and expected["S07"] < expected["S01"]
    assert expected["S12"] == expected["S01"] and expected["S13"] == 0 and expected["S14"] < expected["S01"]
    assert expected["S15"] == 1


@pytest.mark.notebooks
def test_the_feedback_says_what_went_wrong_and_never_an_expected_value(graded):
    _, out, _, _ = graded
    feedback = {p.stem: p.read_text(encoding="utf-8") for p in (out / "feedback").glob("*.md")}
    assert sorted(feedback) == [f"S{i:02d}" for i in range(1, 16)]
    assert "RuntimeError" in feedback["S03"]
    assert "time limit" in feedback["S04"] and "memory" in feedback["S05"]
    assert "not a readable notebook" in feedback["S08"]
    assert "cell 3 stopped the process running the notebook; the notebook was run again without it" in feedback["S11"]
    notes = pd.read_csv(out / "notes.csv", dtype={"student": str})
    changed = notes.loc[notes["note"].str.contains("grader's copy"), "student"]
    assert sorted(changed) == ["S01", "S09"]
    flagged = notes.loc[notes["note"].str.contains("answer code"), "student"]
    assert flagged.tolist() == ["S15"]
    data = student_data("S01", cache_dir=out / "student_data")
    for q in questions(CHAPTER):
        if q.kind in ("number", "integer"):
            value = q.reference(data)
            assert f"{value:.3f}" not in feedback["S02"] and f": {value}" not in feedback["S02"]


@pytest.mark.notebooks
def test_the_gradebook_adds_up_and_a_second_run_is_identical_and_merges_manual_marks(graded):
    book, out, folder, _ = graded
    first = (out / "gradebook.csv").read_bytes()
    table = pd.read_csv(out / "gradebook.csv", dtype={"student": str})
    assert len(table) == 15 * len(questions(CHAPTER))
    assert (table.groupby("student")["points"].sum() == table.groupby("student")["total"].first()).all()
    to_mark = pd.read_csv(out / "answers_to_mark.csv", dtype={"student": str})
    assert to_mark.loc[to_mark["student"] == "S01", "answer"].tolist() == [TEXT]
    grade(folder, CHAPTER, out=out, timeout=10, memory_mb=3000)
    assert (out / "gradebook.csv").read_bytes() == first
    to_mark.loc[to_mark["student"] == "S01", "points"] = 2
    to_mark.to_csv(out / "answers_to_mark.csv", index=False)
    again = grade(folder, CHAPTER, out=out, timeout=10, memory_mb=3000)
    assert again.loc[again["student"] == "S01", "total"].iloc[0] == table.loc[table["student"] == "S01", "total"].iloc[0] + 2


def test_a_submission_is_named_by_its_file_and_two_of_one_student_are_refused(tmp_path):
    from crmlab.validation import CrmlabInputError
    assert [student_of(n) for n in ("2025012345.ipynb", "2025012345_ch04 (1).ipynb")] == ["2025012345"] * 2
    for name in ("2025012345.ipynb", "2025012345_ch04 (1).ipynb"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    with pytest.raises(CrmlabInputError, match=r"2025012345.ipynb, 2025012345_ch04 \(1\).ipynb. Keep one"):
        grade(tmp_path, CHAPTER, out=tmp_path / "out")


def test_the_command_line_grades_a_folder_and_refuses_an_unknown_chapter(tmp_path, capsys):
    from crmlab.cli import main
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "2025000002_ch04.ipynb").write_text("not a notebook", encoding="utf-8")
    assert main(["course", "grade", str(folder), "--chapter", "ch09", "--out", str(tmp_path / "out")]) == 2
    assert "the chapters are " + ", ".join(chapters()) + "." in capsys.readouterr().err
    assert main(["course", "grade", str(folder), "--chapter", "ch04", "--out", str(tmp_path / "out")]) == 0
    assert "1 submissions graded" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "gradebook.csv", dtype={"student": str})
    assert set(table["student"]) == {"2025000002"} and table["total"].eq(0).all()
    assert "not a readable notebook" in (tmp_path / "out" / "feedback" / "2025000002.md").read_text(encoding="utf-8")


def test_while_the_grader_runs_a_notebook_its_checks_compute_nothing(monkeypatch, tmp_path, capsys):
    from crmlab.exercises import check, start
    monkeypatch.chdir(tmp_path)
    start(CHAPTER, None)
    monkeypatch.setenv("CRMLAB_GRADING", "1")
    assert check("q1", 0.5) == "handed in"
    assert capsys.readouterr().out.endswith("q1 — handed in.\n")
    assert not (tmp_path / "crmlab_answers.json").exists()


def test_a_students_key_is_regenerated_from_their_id_and_each_answer_in_it_is_judged_correct(tmp_path, capsys):
    from crmlab.cli import main
    roster = tmp_path / "roster.txt"
    roster.write_text("S21\nS22\n", encoding="utf-8")
    grading = tmp_path / "grading"
    assert main(["course", "key", f"@{roster}", "--chapter", CHAPTER, "--out", str(grading)]) == 0
    assert capsys.readouterr().out.startswith("2 students: answer keys in")
    cache = grading / "student_data"
    keys = {s: pd.read_csv(grading / "keys" / f"{s}.csv", dtype=str, keep_default_na=False) for s in ("S21", "S22")}
    for student, key in keys.items():
        data = student_data(student, cache_dir=cache)
        for q in questions(CHAPTER):
            rows = key[key["question"] == q.id]
            if q.kind == "text":
                assert rows["answer"].iloc[0].startswith("to be marked: " + q.rubric[0])
                continue
            answer = dict(zip(rows["label"], rows["answer"])) if q.kind == "table" else rows["answer"].iloc[0]
            assert judge(q, answer, data).status == "correct", (student, q.id)
    assert keys["S21"]["answer"].tolist() != keys["S22"]["answer"].tolist()
    # The same id gives the same data wherever it is generated: the student's machine and the grader's.
    elsewhere = student_data("S21", cache_dir=tmp_path / "student_machine")
    assert ((elsewhere.data_dir / "retail" / "orders.csv").read_bytes()
            == (student_data("S21", cache_dir=cache).data_dir / "retail" / "orders.csv").read_bytes())
    assert main(["course", "key", "S21", "--chapter", CHAPTER, "--out", str(grading)]) == 0
    printed = capsys.readouterr().out
    assert "q1" in printed and "to be marked" in printed and len(list((cache / "students").iterdir())) == 2
    assert main(["course", "key", "a/b", "--out", str(grading)]) == 2
    assert "cannot name a file" in capsys.readouterr().err


def test_judging_against_a_stored_key_is_judging_against_the_recomputed_reference():
    import json
    from crmlab.exercises import chapters
    from crmlab.exercises.core import ExerciseData, as_plain
    data = ExerciseData(None)
    for chapter in chapters():
        for q in questions(chapter):
            if q.kind == "text":
                continue
            key = json.loads(json.dumps(as_plain(q, q.reference(data))))
            tries = [typed(q, q.reference(data)) if q.kind != "table" else q.reference(data), None, "x"]
            tries += [m.compute(data) for m in q.mistakes]
            for answer in tries:
                assert judge(q, answer, data, reference=key) == judge(q, answer, data), (chapter, q.id)


def test_a_table_with_some_rows_right_earns_its_share_of_the_points(tmp_path):
    from crmlab.exercises.grading import Submission, judge_submission, prepare
    key = prepare(["S31"], "ch05", cache_dir=tmp_path)["S31"]
    table = dict(key["q1"])
    first = next(iter(table))
    rows = judge_submission(Submission("S31", {"q1": {**table, first: table[first] + 1000}}), "ch05",
                            cache_dir=tmp_path, key=key).set_index("question")
    assert rows.loc["q1", "status"] == "partly right"
    assert rows.loc["q1", "points"] == round(2 * (len(table) - 1) / len(table), 2)
    assert not any(f"{value:.3f}" in rows.loc["q1", "feedback"] for value in table.values())


def test_a_key_stored_by_other_code_is_computed_again(tmp_path, monkeypatch):
    import json
    from crmlab.exercises import grading
    key = grading.answer_key("S41", CHAPTER, cache_dir=tmp_path)
    path = next((tmp_path / "keys").rglob(f"{CHAPTER}.json"))
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["answers"]["q1"] = 0.5
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert grading.answer_key("S41", CHAPTER, cache_dir=tmp_path)["q1"] == 0.5     # same code: the stored key
    monkeypatch.setattr(grading, "_code_version", lambda: "a fixed question")
    assert grading.answer_key("S41", CHAPTER, cache_dir=tmp_path) == key              # other code: computed again


def test_grading_where_processes_cannot_fork_says_where_it_can(tmp_path, monkeypatch):
    import os
    from crmlab.exercises.grading import Sandbox
    from crmlab.validation import CrmlabInputError
    monkeypatch.delattr(os, "fork")
    with pytest.raises(CrmlabInputError, match="grade on Linux or macOS"):
        Sandbox().run({}, wait=1)
