"""Releasing the exercises (issue 17): the instructor's notebooks hold a worked solution for every
question and grade to full marks on any student's data; the released notebooks are the students'
notebooks in exercises/, hold no solution code, no instructor note and no output, and grade to
zero; a wrong marker is refused with the cell and the line named."""
from pathlib import Path

import nbformat
import pytest

from _scripts import load_script
from crmlab.exercises import chapters, questions
from crmlab.exercises.grading import grade
from crmlab.exercises.release import BEGIN, END, INSTRUCTOR_TAG, release, release_notebook
from crmlab.validation import CrmlabInputError

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR = ROOT / "instructor" / "exercises"
CHAPTERS = chapters()
STUDENT = "2025031415"


def instructor_notebook(chapter):
    found = sorted(INSTRUCTOR.glob(f"{chapter[2:]}_*_exercises.ipynb"))
    assert len(found) == 1, f"one instructor notebook for {chapter}, found {found}"
    return found[0]


def solution_lines(nb):
    """The lines inside solution blocks that occur nowhere else in the instructor's notebook."""
    inside, outside = set(), set()
    for cell in nb.cells:
        within = False
        for line in cell.source.splitlines():
            if line.strip() == BEGIN:
                within = True
            elif line.strip() == END:
                within = False
            elif line.strip():
                (inside if within else outside).add(line.strip())
    return inside - outside


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    return {p.name: p for p in release(INSTRUCTOR, out)}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("student_data")


def test_the_release_is_the_students_notebooks_in_exercises(released):
    assert sorted(released) == sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    for name, path in released.items():
        ours = nbformat.read(path, as_version=4)
        theirs = nbformat.read(ROOT / "exercises" / name, as_version=4)
        assert [(c.get("id"), c.cell_type, c.source) for c in ours.cells] == \
               [(c.get("id"), c.cell_type, c.source) for c in theirs.cells], name


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_question_has_a_worked_solution_and_every_text_question_a_marking_note(chapter):
    nb = nbformat.read(instructor_notebook(chapter), as_version=4)
    cells = {c.get("id"): c for c in nb.cells}
    for q in questions(chapter):
        source = cells[f"{q.id}-answer"].source
        assert source.startswith(f"answer_{q.id} = None   # your answer\n{BEGIN}\n"), q.id
        block = source.split(BEGIN)[1].split(END)[0]
        assert f"answer_{q.id} =" in block, q.id
        assert ".reference(" not in block and "crmlab.exercises.ch" not in block and "judge(" not in block
        if q.kind == "text":
            assert INSTRUCTOR_TAG in cells[f"{q.id}-marking"].metadata.get("tags", [])


def test_the_released_notebooks_hold_no_solution_no_instructor_note_and_no_output(released):
    for name, path in released.items():
        instructor = nbformat.read(INSTRUCTOR / name, as_version=4)
        student = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in student.cells)
        hidden = solution_lines(instructor)
        assert hidden, f"{name} has no solution to hide"
        assert not [line for line in hidden if line in {s.strip() for s in text.splitlines()}], name
        assert BEGIN not in text and END not in text and "Marking (instructor only" not in text
        assert not any(INSTRUCTOR_TAG in c.metadata.get("tags", []) for c in student.cells)
        assert all(not c.outputs and c.execution_count is None for c in student.cells if c.cell_type == "code")


@pytest.mark.parametrize("source, said", [
    ("x = 1\n### BEGIN SOLUTION\nx = 2", "cell 1: '### BEGIN SOLUTION' is never closed"),
    ("x = 1\n### END SOLUTION", "cell 1, line 2: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "cell 1, line 2: a second"),
])
def test_a_wrong_marker_is_refused_with_its_cell_and_line(source, said):
    with pytest.raises(CrmlabInputError, match=said.replace("(", r"\(")):
        release_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), name="x.ipynb")
    note = nbformat.v4.new_markdown_cell(f"The answer:\n{BEGIN}\n42\n{END}")
    with pytest.raises(CrmlabInputError, match="tag a markdown cell 'instructor'"):
        release_notebook(nbformat.v4.new_notebook(cells=[note]), name="x.ipynb")


def test_the_command_line_releases_and_never_over_the_solutions(tmp_path, capsys):
    from crmlab.cli import main
    assert main(["course", "release", str(INSTRUCTOR), "--out", str(tmp_path / "release")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(CHAPTERS)
    assert main(["course", "release", str(INSTRUCTOR), "--out", str(INSTRUCTOR)]) == 2
    assert "would overwrite the solutions" in capsys.readouterr().err
    assert main(["course", "release", str(tmp_path / "nothing"), "--out", str(tmp_path / "r")]) == 2
    assert "No notebooks" in capsys.readouterr().err


def test_the_tool_keeps_the_solutions_when_it_rewrites_the_questions(tmp_path, monkeypatch):
    tool = load_script("tools/make_exercise_notebook.py")
    for chapter in CHAPTERS:
        nb = nbformat.read(instructor_notebook(chapter), as_version=4)
        first = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Q1"))
        solutions = {c.id[:-len("-answer")]: tool.solution_block(c.source) for c in nb.cells
                     if c.get("id", "").endswith("-answer")}
        assert [c.source for c in nb.cells[first:]] == [c.source for c in tool.question_cells(chapter, solutions)]


@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_instructors_notebook_grades_to_full_marks_and_the_released_one_to_zero(tmp_path, released, cache,
                                                                                    chapter):
    path = instructor_notebook(chapter)
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, source in ((STUDENT, path), ("2025000000", released[path.name])):
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:     # the student puts their id in the first cell, as the notebook asks
            cell.source = cell.source.replace('STUDENT_ID = ""', f"STUDENT_ID = {name!r}")
        nbformat.write(nb, folder / f"{name}_{chapter}.ipynb")
    book = grade(folder, chapter, out=tmp_path / "out", cache_dir=cache,
                 timeout=120)
    totals = book.groupby("student")["total"].first()
    graded = sum(q.points for q in questions(chapter) if q.kind != "text")
    assert totals[STUDENT] == graded and totals["2025000000"] == 0
    texts = book[(book["student"] == STUDENT) & (book["status"] == "to be marked")]["question"]
    assert sorted(texts) == sorted(q.id for q in questions(chapter) if q.kind == "text")
    assert not (tmp_path / "out" / "notes.csv").read_text(encoding="utf-8").strip().count("\n")
