"""The expression language computes what analysts write and refuses anything else."""

import fnmatch

import numpy as np
import pandas as pd
import pytest

from bridge.data import expressions
from bridge.data.expressions import ExpressionError, evaluate, parse
from tests.conftest import SAMPLE


def run(text, columns):
    def resolve(ref):
        return columns[ref.column]

    return evaluate(parse(text), resolve)


def test_arithmetic_over_columns():
    cols = {"a": pd.Series([1.0, 2.0, 4.0]), "b": pd.Series([2.0, 2.0, 0.0])}
    result = run("100 * a / b", cols)
    assert result.iloc[0] == 50 and result.iloc[1] == 100
    assert result.iloc[2] == float("inf")  # division by zero is infinity, which panels draw as no data and report


def test_aggregates_give_one_number():
    cols = {"a": pd.Series([1.0, 2.0, 4.0])}
    assert run("sum(a)", cols) == 7
    assert run("max(a) - min(a)", cols) == 3


def test_text_numbers_convert_and_text_fails():
    assert run("a * 2", {"a": pd.Series(["1", "2"])}).tolist() == [2, 4]
    with pytest.raises(ExpressionError, match="not numeric"):
        run("a * 2", {"a": pd.Series(["1", "n/a"])})


def test_references():
    refs = parse('people["Aged 65"] / people.total + share').references()
    assert refs == [expressions.ColumnRef("people", "Aged 65"), expressions.ColumnRef("people", "total"),
                    expressions.ColumnRef(None, "share")]


@pytest.mark.parametrize("text", [
    "__import__('os')", "a.__class__.__bases__", "(lambda: 1)()", "[x for x in a]",
    "open('f')", "a if b else c", "'text'", "a[0]", "a @ b",
])
def test_unsafe_or_unknown_is_refused(text):
    with pytest.raises(ExpressionError):
        parse(text)


# Bounds: every limit is refused with a message naming it, before anything large is computed.

def refusal(text) -> str:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return str(info.value)


def test_length_is_bounded():
    assert refusal("+".join(["1"] * 5000)) == ("expression is 9,999 characters long; at most 2,000 are allowed "
                                               "(split it into derived measures under derive:)")
    assert "at most 2,000" in refusal("1" * 5000)  # before Python's own 4300-digit limit is reached
    assert parse("a" + " " * 1990 + "+ 1").text  # 1994 characters: fine


@pytest.mark.parametrize("text, depth", [
    ("-" * 1000 + "1", 1000),
    ("not " * 450 + "a", 450),
    ("+".join(["a"] * 500), 499),
    ("-abs(" * 25 + "a" + ")" * 25, 50),
])
def test_nesting_is_bounded_without_recursion_errors(text, depth):
    message = refusal(text)
    assert f"is nested {depth} levels deep" in message and "at most 40 are allowed" in message, message


def test_brackets_are_bounded_before_the_parser_sees_them():
    assert "nests brackets 300 deep; at most 40 levels of nesting are allowed" in refusal("(" * 300 + "1" + ")" * 300)
    assert "nests brackets 41 deep" in refusal("(" * 41 + "a" + ")" * 41)
    assert parse("(" * 40 + "a" + ")" * 40)
    assert parse('a == "((((((((((((((((((((((((((((((((((((((((((((((("')  # brackets in quoted text do not count


def test_nesting_at_the_limit_is_fine():
    assert parse("-" * 40 + "1")
    assert parse("+".join(["a"] * 41))


@pytest.mark.parametrize("text, fragment", [
    ("1234567890123456", "the number 1234567890123456 has 16 digits; at most 15 are allowed in an expression"),
    ("7" * 200, "has 200 digits; at most 15"),
    ("1.0000000000000000", "has 17 digits"),
    ("1e400", "the number 1e400 is larger than 1e15 in magnitude, more than any measure may be"),
    ("2e15", "the number 2e15 is larger than 1e15"),
    ("0xfffffffffffff0", "is larger than 1e15"),
])
def test_constants_are_bounded(text, fragment):
    assert fragment in refusal(text)


def test_constants_within_the_bounds():
    assert run("123456789012345 + 0.000000000001 + 1e15", {}) == pytest.approx(1e15 + 123456789012345)


@pytest.mark.parametrize("text, fragment", [
    ("9**9**9", "'9 ** 9 ** 9' would be about 10^369,693,100, larger than 1e15 in magnitude"),
    ("2**2**2**2**2**2", "'2 ** 2 ** 2 ** 2 ** 2' would be about 10^19,728"),
    ("10**400", "'10 ** 400' would be about 10^400"),
    ("sum(a) + 10**16", "'10 ** 16' would be about 1e+16"),
    ("(-2)**51", "'(-2) ** 51' would be about 2.3e+15"),
    ("0.1 ** -400", "would be about 10^400"),
    ("(10**15 * 10) ** 2", "would be about 1e+32"),
    ("abs(-10) ** 16", "would be about 1e+16"),
])
def test_powers_are_refused_before_they_are_computed(text, fragment):
    message = refusal(text)
    assert fragment in message and message.endswith("it is refused before it is computed"), message


def test_powers_within_the_bound():
    assert run("10**15", {}) == 1e15
    assert run("2**49 + 1**10000000 + 0**5 + 0.5**1000", {}) == 2**49 + 1
    assert run("(-8) ** (1/3)", {}) != run("(-8) ** (1/3)", {})  # NaN, never a complex number


def test_overflow_is_inf_never_an_exception():
    cols = {"a": pd.Series([10.0, 1e200, 0.0]), "n": pd.Series([10, 20, 30], dtype="int64")}
    assert run("a ** 400", cols).tolist()[:2] == [float("inf")] * 2
    assert run("max(a) ** 400", cols) == float("inf")
    assert run("max(a) * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15", cols) == float("inf")
    # integer columns are computed in float64: no silent wrap-around of int64
    assert run("n ** 30", cols).iloc[0] == pytest.approx(1e30)
    assert run("sum(a) / 0", cols) == float("inf") and run("0 / 0", cols) != run("0 / 0", cols)


def test_aggregates_and_comparisons_treat_inf_as_missing():
    cols = {"a": pd.Series([1.0, 2.0, 0.0])}
    told = []
    assert evaluate(parse("sum(1 / a)"), lambda ref: cols[ref.column], told.append) == 1.5
    assert told == ["1 value of '1 / a' is not finite and left out of sum()"]
    assert run("count(1 / a)", cols) == 2
    assert run("1 / a > 0", cols).tolist() == [True, True, False]


def test_conditions_and_text():
    cols = {"a": pd.Series([1.0, -2.0]), "t": pd.Series(["x", "y"])}
    assert bool(run('not ("a" == "b")', cols)) is True  # not a Python bool inverted bitwise (~False == -1)
    assert not run("not (1 < 2)", cols)
    assert run("-(a > 0)", cols).tolist() == [-1.0, 0.0]
    assert run('t == "x"', cols).tolist() == [True, False]
    with pytest.raises(ExpressionError, match="compares a number with text"):
        run('1 < "x"', cols)
    with pytest.raises(ExpressionError, match=r"'1 \+ 2' is not a condition"):
        run("not 1 + 2", cols)


def test_huge_numbers_in_text_columns_convert_without_overflow():
    cols = {"t": pd.Series(["9" * 400, "5"]), "o": pd.Series([10**400, 5], dtype=object)}
    assert run("t * 1", cols).tolist() == [float("inf"), 5.0]
    assert run("o * 1", cols).tolist() == [float("inf"), 5.0]
    assert expressions.to_float(pd.Series([-(10**400), "x", None], dtype=object)).tolist()[0] == float("-inf")


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "a \x1b[31m", "a +", "1 +* 2", "sum()", "sum(a, a)", "sum(a=1)"])
def test_anything_the_parser_refuses_is_an_expression_error(text):
    message = refusal(text)
    assert "\x1b" not in message and "\x00" not in message


def test_messages_quote_long_expressions_short():
    message = refusal("a.b.c" + " + a" * 300)
    assert len(message) < 300, message


def _random_expression(rng, depth=0) -> str:
    """A random expression from the grammar's pieces (well formed or nearly)."""
    if depth > 4 or rng.random() < 0.3:
        return rng.choice(["1", "0", "2", "9", "10", "400", "0.5", "1e15", "1e-300", "a", "b", "t", "x", "z",
                           "people.total", 'people["x"]', '"x"', '"1"', "9" * 16, "1e400"])
    kind = rng.randrange(7)
    if kind == 0:
        return f"{_random_expression(rng, depth + 1)} {rng.choice(['+', '-', '*', '/', '**'])} {_random_expression(rng, depth + 1)}"
    if kind == 1:
        return f"{rng.choice(['-', '+', 'not '])}{_random_expression(rng, depth + 1)}"
    if kind == 2:
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        return f"{_random_expression(rng, depth + 1)} {op} {_random_expression(rng, depth + 1)}"
    if kind == 3:
        return f"{_random_expression(rng, depth + 1)} {rng.choice(['and', 'or'])} {_random_expression(rng, depth + 1)}"
    if kind == 4:
        return f"{rng.choice(expressions.FUNCTIONS)}({_random_expression(rng, depth + 1)})"
    if kind == 5:
        one, two = _random_expression(rng, depth + 1), _random_expression(rng, depth + 1)
        return rng.choice([f"{rng.choice(expressions.FUNCTIONS)}({one}, where={two})", f"total({one}, {two})",
                           'total(people, "t*")', 'total(people, "q*")', f'split({one}, " ", {two})', f"left({one}, {two})",
                           f"right({one}, {two})", f'contains({one}, "1")', f"{rng.choice(expressions.FUNCTIONS)}({one}, {two})"])
    return f"({_random_expression(rng, depth + 1)})"


JUNK = ["(", ")", "[", "]", "{", "}", ":", ".", "@", "%", "//", ",", "lambda", "if", "else", "__class__", "'", "\\",
        "\x00", "\n", "j", "_", "e", "**", "not", "sum(", "1" * 30]


def _mutated(rng, text: str) -> str:
    """Now and then a piece of junk spliced in, to reach the parser's own errors too."""
    for _ in range(rng.choice([0, 0, 1, 2])):
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(JUNK) + text[at:]
    return text


def _resolve(ref):
    columns = {"a": pd.Series([1.0, 0.0, float("inf"), float("nan")]), "b": pd.Series([2, 0, -3, 5]),
               "t": pd.Series(["x", "1", "y", None]), "total": pd.Series([10.0, 20.0, 30.0, 0.0]),
               "x": pd.Series(["1", "2", "3", "4"])}
    if ref.column not in columns:
        raise ExpressionError(f"no column '{ref.column}'")
    return columns[ref.column]


@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_expressions_only_ever_raise_expression_errors(seed):
    import random

    rng = random.Random(seed)
    evaluated = 0
    for _ in range(1500):
        text = _mutated(rng, _random_expression(rng))
        try:
            expr = parse(text)
            evaluate(expr, _resolve, columns=lambda name: ["a", "b", "t", "total", "x"])
            evaluated += 1
        except ExpressionError:
            pass
    assert evaluated > 200  # the fuzz reaches evaluation, not only the parser


# Functions added for issue 10: rank, percentile, std, zscore, total, where=, and text.
# Each is checked against the same sum done directly with numpy or pandas.

VALUES = pd.Series([5.0, 1.0, 5.0, np.nan, 9.0, 3.0, 5.0, -2.0])


def _valid(values: pd.Series) -> np.ndarray:
    v = values.to_numpy(dtype=float)
    return v[np.isfinite(v)]


def test_rank_is_one_for_the_largest_with_ties_averaged_and_gaps_kept():
    got = run("rank(a)", {"a": VALUES})
    v = _valid(VALUES)
    for x, r in zip(VALUES, got):
        if np.isnan(x):
            assert np.isnan(r)  # missing stays missing
        else:  # 1 + how many are larger + half of the others tied with it
            assert r == 1 + (v > x).sum() + ((v == x).sum() - 1) / 2
    assert got.iloc[4] == 1 and got.tolist()[0] == got.tolist()[2] == got.tolist()[6] == 3  # 9 first; three 5s share 2, 3, 4


def test_percentile_is_the_share_of_rows_at_or_below():
    got = run("percentile(a)", {"a": VALUES})
    v = _valid(VALUES)
    for x, p in zip(VALUES, got):
        assert np.isnan(p) if np.isnan(x) else p == pytest.approx(100 * (v <= x).mean())
    assert got.max() == 100 and got.min() == pytest.approx(100 / len(v))


def test_std_and_zscore_use_the_sample_standard_deviation():
    v = _valid(VALUES)
    assert run("std(a)", {"a": VALUES}) == pytest.approx(np.std(v, ddof=1))
    got = run("zscore(a)", {"a": VALUES})
    expected = (VALUES - v.mean()) / np.std(v, ddof=1)
    assert np.allclose(got, expected, equal_nan=True) and np.isnan(got.iloc[3])
    assert abs(got.mean()) < 1e-12 and got.std() == pytest.approx(1)
    assert run("zscore(a)", {"a": pd.Series([2.0, 2.0])}).isna().all()  # no spread: no z-scores, no error


def test_ranks_treat_infinity_as_missing_and_say_so():
    cols = {"a": pd.Series([1.0, 0.0, 2.0])}
    told = []
    got = evaluate(parse("rank(1 / a)"), lambda ref: cols[ref.column], told.append)
    assert got.tolist()[0] == 1 and np.isnan(got.iloc[1]) and got.iloc[2] == 2
    assert told == ["1 value of '1 / a' is not finite and left out of rank()"]


def test_column_functions_work_inside_arithmetic_and_conditions():
    cols = {"a": VALUES}
    assert run("rank(a) <= 3", cols).sum() == 4  # 9, and the three 5s sharing ranks 2, 3 and 4 as 3
    assert run("zscore(a) * std(a) + mean(a)", cols).tolist()[:3] == pytest.approx([5.0, 1.0, 5.0])


SAMPLE_AGES = pd.read_csv(SAMPLE / "census21_age_shropshire.csv")


def _people(ref):
    return SAMPLE_AGES[ref.column]


def _columns(name):
    if name != "people":
        raise ExpressionError(f"no dataset '{name}'")
    return list(SAMPLE_AGES.columns)


def test_total_of_a_list_of_columns_is_their_row_by_row_sum():
    text = 'total(people["Aged 50 to 64 years"], people["Aged 65 years and over"], people.total)'
    got = evaluate(parse(text), _people)
    expected = SAMPLE_AGES["Aged 50 to 64 years"] + SAMPLE_AGES["Aged 65 years and over"] + SAMPLE_AGES["total"]
    assert got.tolist() == expected.tolist()
    cols = {"a": pd.Series([1.0, np.nan]), "b": pd.Series([2.0, 3.0])}
    assert run("total(a, b, 1)", cols).tolist()[0] == 4 and np.isnan(run("total(a, b)", cols).iloc[1])  # as a + b would be


def test_total_of_a_pattern_adds_the_matching_columns_of_a_dataset():
    got = evaluate(parse('total(people, "Aged *")'), _people, columns=_columns)
    ages = [c for c in SAMPLE_AGES.columns if fnmatch.fnmatchcase(c, "Aged *")]
    assert len(ages) == 6 and got.tolist() == SAMPLE_AGES[ages].sum(axis=1).tolist()
    assert got.tolist() == SAMPLE_AGES["total"].tolist()  # the age bands add up to the total
    two = evaluate(parse('total(people, "Aged 5*", "Aged 6?*", "Aged 5*")'), _people, columns=_columns)  # each column once
    assert two.tolist() == (SAMPLE_AGES["Aged 50 to 64 years"] + SAMPLE_AGES["Aged 65 years and over"]).tolist()


def test_total_pattern_asks_for_resolve_with_each_matching_column():
    asked = []

    def resolve(ref):
        asked.append(ref)
        return _people(ref)

    evaluate(parse('total(people, "Aged 15*", "Aged 2*")'), resolve, columns=_columns)
    assert asked == [expressions.ColumnRef("people", "Aged 15 years and under"),
                     expressions.ColumnRef("people", "Aged 25 to 34 years")]


def evaluation_error(text, columns=None, resolve=None) -> str:
    with pytest.raises(ExpressionError) as info:
        evaluate(parse(text), resolve or _resolve, columns=columns)
    return str(info.value)


def test_total_pattern_errors_are_clear():
    message = evaluation_error('total(people, "aged *")', _columns, _people)
    assert message.startswith("no column of 'people' matches \"aged *\" in 'total(people, \"aged *\")' "
                              "(* stands for any text, ? for one character; case matters); its columns: 'lsoa21_code', "
                              "'lsoa21_name', 'Aged 15 years and under',"), message
    assert "'total'" in message
    assert evaluation_error('total(people, "*")', _columns, _people) == (
        "'total(people, \"*\")' takes in column 'lsoa21_code', which is not numeric (e.g. 'E01028826'); "
        "make the pattern narrower")
    assert evaluation_error('total(homes, "x*")', lambda name: {}[name], _people) == (
        "no dataset 'homes' in 'total(homes, \"x*\")'")
    assert evaluation_error('total(homes, "x*")', _columns, _people) == "no dataset 'homes'"  # the caller's own error
    # without a columns callback (a caller that has not wired patterns): a clear refusal
    assert evaluation_error('total(people, "Aged *")', None, _people) == (
        "column patterns such as 'total(people, \"Aged *\")' are not available here; "
        "name the columns instead: total(people[\"a\"], people[\"b\"])")


def test_total_forgetting_the_quotes_hints_at_a_pattern():
    message = evaluation_error("total(people, Aged)")
    assert message == "no column 'people'; to add up the columns of a dataset by name, quote a pattern: total(people, \"Aged *\")"


@pytest.mark.parametrize("name", ["sum", "mean", "median", "min", "max", "count", "std", "first", "last"])
def test_aggregates_take_where_to_pick_rows(name):
    cols = {"a": VALUES, "g": pd.Series(list("xyxyxyxy")), "n": pd.Series(range(8))}
    picked = VALUES[((cols["g"] == "x") & (cols["n"] > 0)).to_numpy()].dropna().to_numpy()
    direct = {"sum": np.sum, "mean": np.mean, "median": np.median, "min": np.min, "max": np.max, "count": len,
              "std": lambda v: np.std(v, ddof=1), "first": lambda v: v[0], "last": lambda v: v[-1]}[name]
    assert run(f'{name}(a, where=g == "x" and n > 0)', cols) == pytest.approx(float(direct(picked)))
    everything = run(f"{name}(a)", cols)
    assert run(f"{name}(a, where=1 < 2)", cols) == pytest.approx(everything)  # a condition that is always true


def test_where_that_picks_nothing_gives_zero_for_sum_and_count_and_no_data_otherwise():
    cols = {"a": VALUES}
    assert run("sum(a, where=a > 100)", cols) == 0 and run("count(a, where=a > 100)", cols) == 0
    assert np.isnan(run("mean(a, where=a > 100)", cols)) and np.isnan(run("max(a, where=1 > 2)", cols))


def test_where_leaves_out_rows_before_non_numbers_are_seen():
    cols = {"v": pd.Series(["12", "*", "30"]), "ok": pd.Series([1.0, 0.0, 1.0])}
    assert run("sum(v, where=ok == 1)", cols) == 42  # the suppressed "*" is not picked
    with pytest.raises(ExpressionError, match=r"'v' is not numeric \(e\.g\. '\*'\)"):
        run("sum(v)", cols)


def test_where_uses_text_functions_too():
    names = SAMPLE_AGES["lsoa21_name"]
    got = evaluate(parse('sum(people.total, where=contains(people.lsoa21_name, "027"))'), _people)
    assert got == SAMPLE_AGES["total"][names.str.contains("027", regex=False)].sum()


def test_left_right_and_split_cut_text_as_pandas_does():
    cols = {"t": SAMPLE_AGES["lsoa21_name"]}
    names = SAMPLE_AGES["lsoa21_name"].str.strip()
    assert run("left(t, 4)", cols).tolist() == names.str[:4].tolist()
    assert run("right(t, 4)", cols).tolist() == names.str[-4:].tolist()
    assert run('split(t, " ", 0)', cols).tolist() == names.str.split(" ").str[0].tolist()
    assert run('split(t, " ", -1)', cols).tolist() == names.str.split(" ").str[-1].tolist()
    assert run('contains(t, "027")', cols).tolist() == names.str.contains("027", regex=False).tolist()
    assert run('split(t, " ", 0)', cols).iloc[0] == "Shropshire"  # from "Shropshire 027A", as the analyst guide says
    assert SAMPLE_AGES["lsoa21_name"].iloc[0] == "Shropshire 027A"


def test_text_functions_keep_missing_missing():
    cols = {"t": pd.Series([" Shropshire 027A ", None, "Telford", np.nan]), "n": pd.Series([3, 2, np.nan, 1])}
    assert run("left(t, 3)", cols).tolist()[0] == "Shr" and run("left(t, 3)", cols).isna().tolist() == [False, True, False, True]
    assert run("right(t, 4)", cols).iloc[0] == "027A"  # spaces around text are trimmed first
    assert run("right(t, 0)", cols).iloc[0] == "" and run("right(t, 99)", cols).iloc[2] == "Telford"
    assert run('split(t, " ", 1)', cols).isna().tolist() == [False, True, True, True]  # "Telford" has no second part
    assert run('split(t, " ", -3)', cols).isna().all()
    assert run('contains(t, "o")', cols).tolist() == [True, False, True, False]  # missing text contains nothing
    assert run("left(t, n)", cols).tolist()[:1] == ["Shr"] and run("left(t, n)", cols).isna().tolist() == [False, True, True, True]


def test_text_functions_read_numbers_as_written():
    cols = {"code": pd.Series([1801.0, 27.5, np.nan])}
    assert run("left(code, 2)", cols).tolist()[:2] == ["18", "27"]
    assert run("split(code, \".\", 1)", cols).isna().tolist() == [True, False, True]


def test_split_and_left_results_compare_with_text():
    cols = {"t": SAMPLE_AGES["lsoa21_name"], "v": SAMPLE_AGES["total"]}
    in_shropshire = run('split(t, " ", 0) == "Shropshire"', cols)
    assert in_shropshire.tolist() == (SAMPLE_AGES["lsoa21_name"].str.split(" ").str[0] == "Shropshire").tolist()
    assert run('sum(v, where=left(t, 14) == "Shropshire 027")', cols) == \
        SAMPLE_AGES["total"][SAMPLE_AGES["lsoa21_name"].str.startswith("Shropshire 027")].sum()


def test_references_cover_every_argument_where_and_patterns():
    expr = parse('total(people, "Aged *") + sum(x, where=areas.ward == "Castle") + total(a, people.b)')
    assert expr.references() == [
        expressions.ColumnRef("people", "Aged *", pattern=True), expressions.ColumnRef(None, "x"),
        expressions.ColumnRef("areas", "ward"), expressions.ColumnRef(None, "a"), expressions.ColumnRef("people", "b")]
    assert expr.references(conditions=False) == [
        expressions.ColumnRef("people", "Aged *", pattern=True), expressions.ColumnRef(None, "x"),
        expressions.ColumnRef(None, "a"), expressions.ColumnRef("people", "b")]
    expanded = parse('total(people, "Aged 6*", "t*")').references(columns=_columns)
    assert expanded == [expressions.ColumnRef("people", "Aged 65 years and over"), expressions.ColumnRef("people", "total")]
    with pytest.raises(ExpressionError, match="no column of 'people' matches \"zz\""):
        parse('total(people, "zz")').references(columns=_columns)
    assert parse('left(t, 3) == "Shr" and contains(u, "x")').references() == [
        expressions.ColumnRef(None, "t"), expressions.ColumnRef(None, "u")]


@pytest.mark.parametrize("text, message", [
    ("sum(a, b)", "sum() takes one argument, got 2: write sum(x) or sum(x, where=condition) in 'sum(a, b)'"),
    ("rank()", "rank() takes one argument, got 0: write rank(x) in 'rank()'"),
    ("percentile(a, 50)", "percentile() takes one argument, got 2: write percentile(x)"),
    ("left(t)", "left() takes two arguments, got 1: write left(text, n) in 'left(t)'"),
    ('split(t, " ")', "split() takes three arguments, got 2: write split(text, \" \", i) in 'split(t, \" \")'"),
    ("contains(t, x)", "contains()'s second argument is the text to look for, in quotes: write contains(text, \"words\")"),
    ("split(t, x, 0)", "split()'s second argument is the separator, in quotes: write split(text, \" \", i)"),
    ('split(t, "", 0)', "split() needs a separator, e.g. \" \": write split(text, \" \", i)"),
    ('left("Shropshire", 3)', ("left() works on a column of text, not on quoted text: write left(text, n), "
                               "e.g. left(areas.lsoa21_name, n)")),
    ("total(a)", ("total() adds up two or more columns row by row, got 1: write total(people[\"a\"], people[\"b\"], …) "
                  "or total(people, \"Aged *\") in 'total(a)'")),
    ('total(people, "Aged *", a)', "total() takes columns, or a dataset's name then quoted patterns of its column names"),
    ('total(people.x, "Aged *")', "total() takes columns, or a dataset's name then quoted patterns"),
    ('total(people, " ")', "total() has an empty pattern"),
    ("sum(a, wher=a > 1)", "sum() takes no named argument but where=condition, not wher=: write sum(x) or sum(x, where=condition)"),
    ("rank(a, where=a > 1)", "rank() takes no named arguments, not where=: write rank(x) in 'rank(a, where=a > 1)'"),
    ("total(a, b, where=a > 1)", "total() takes no named arguments, not where="),
    ("sum(a, **k)", "sum() takes no named argument but where=condition, not **k"),
    ("sum(*a)", "'*a' is not allowed in an expression"),
    ("sum(a, where=10**400 > 1)", "'10 ** 400' would be about 10^400"),
    ("total(a, 2**60)", "'2 ** 60' would be about 1.2e+18"),
    ("left(t, 9**9**9)", "would be about 10^369,693,100"),
    ("median(a, where=a > 1234567890123456)", "has 16 digits"),
    ("lower(t)", ("unknown function 'lower' in 'lower(t)'; functions: abs, concat, contains, count, first, last, left, max, mean, "
                  "median, min, percentile, rank, right, round, split, std, sum, total, zscore")),
])
def test_wrong_arguments_are_refused_when_parsed_with_the_way_to_write_it(text, message):
    assert message in refusal(text)


@pytest.mark.parametrize("text, message", [
    ("rank(1)", "rank() needs a column, got a single number in 'rank(1)'; write rank(x)"),
    ("std(sum(a))", "std() needs a column, got a single number in 'std(sum(a))'"),
    ("sum(2, where=a > 0)", "sum() needs a column, got a single number in 'sum(2, where=a > 0)'"),
    ("sum(a, where=a)", "'a' is not a condition; compare it, e.g. a > 0"),
    ("left(1, 2)", "left() needs a column of text, got a single number in 'left(1, 2)': write left(text, n)"),
    ('contains(1 < 2, "x")', "contains() needs a column of text, got a single true/false"),
    ("left(t, 2.5)", "the number of characters in 'left(t, 2.5)' must be a whole number of 0 or more, got 2.5"),
    ("right(t, -1)", "the number of characters in 'right(t, -1)' must be a whole number of 0 or more, got -1"),
    ("left(t, 1 / 0)", "must be a whole number of 0 or more, got inf"),
    ('split(t, " ", 0.5)', "the part number (0 for the first, -1 for the last) in 'split(t, \" \", 0.5)' must be a whole number, got 0.5"),
    ('left(t, t)', "'t' is not numeric (e.g. 'x')"),
    ("zscore(t)", "'t' is not numeric (e.g. 'x')"),
    ('sum(a, where=short)', "the where= condition of 'sum(a, where=short)' has 2 rows but the column has 4"),
    ('left(t, short2)', "'left(t, short2)' has 4 rows of text but 2 numbers"),
])
def test_wrong_values_are_refused_when_evaluated_with_the_call_quoted(text, message):
    def resolve(ref):
        if ref.column == "short":
            return pd.Series([True, False])
        if ref.column == "short2":
            return pd.Series([1, 2])
        return _resolve(ref)

    assert message in evaluation_error(text, resolve=resolve)


def test_new_functions_keep_the_nesting_bound():
    assert "is nested 42 levels deep" in refusal("-rank(" * 21 + "a" + ")" * 21)
    assert parse("total(" + ", ".join(f"people[\"c{i}\"]" for i in range(100)) + ")")  # many arguments: one level
