"""`bridge validate` says which values disclosure control guards, and warns of columns that look
like counts of people but are not declared (issue 25: `min_count: 5` alone suppresses nothing)."""

from bridge import cli
from bridge.data.disclosure import guarded_values, uncounted_columns
from tests.conftest import BASE, MINIMAL, brief, write_scene

KPI = "  - {id: p, type: kpi, value: 'sum(people.total)', label: residents, width: 20, height: 10}\n"


def test_validate_lists_the_guarded_values(workdir, capsys):
    path = write_scene(workdir, BASE + "panels:\n" + KPI + "steps:\n  - {title: One, show: [p]}\n")
    assert cli.main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "disclosure: counts of people from 1–4 are drawn as \"suppressed\" in 1 panel value: 'p' value" in out, out


def test_validate_says_plainly_when_nothing_is_guarded(workdir, capsys):
    path = write_scene(workdir, MINIMAL.replace("panels:\n", "panels:\n" + KPI).replace("show: [note]", "show: [note, p]"))
    assert cli.main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "no panel value here counts people" in captured.out and "nothing is suppressed" in captured.out, captured.out
    # MINIMAL's people dataset declares no counts, though its age columns plainly are: a located warning says so
    warning = next(line for line in captured.err.splitlines() if "like counts of people" in line)
    assert warning.startswith(f"warning: {path}:4: datasets.people: ") and "'Aged 15 years and under'" in warning and "and 3 more" in warning, warning
    assert "add them to counts:" in warning


def test_declared_counts_and_rates_are_not_flagged(workdir):
    data = brief(workdir).data
    flagged = " ".join(str(w) for w in uncounted_columns(data))
    assert "'total'" not in flagged and "'Aged 65 years and over'" not in flagged  # declared in BASE
    assert "lsoa21_code" not in flagged  # the key


def test_guarded_values_split_counts_from_ratios(workdir):
    data = brief(workdir).data
    guarded, plain = guarded_values(data, [("a", "value", "sum(people.total)", None),
                                           ("b", "value", "100 * people.total / people.total", None)])
    assert guarded == ["'a' value"] and plain == ["'b' value"]


def test_validate_lists_counts_written_in_text_too(workdir, capsys):
    text = "  - {id: p, type: text, text: 'We found {sum(people.total):,.0f} residents', width: 20, height: 10}\n"
    path = write_scene(workdir, BASE + "panels:\n" + text + "steps:\n  - {title: One, show: [p]}\n")
    assert cli.main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "in 1 panel value: 'p' text {sum(people.total):,.0f}" in out, out
