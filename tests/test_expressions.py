"""The expression language computes what analysts write and refuses anything else."""

import pandas as pd
import pytest

from bridge import expressions
from bridge.expressions import ExpressionError, evaluate, parse


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
    kind = rng.randrange(6)
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
            evaluate(expr, _resolve)
            evaluated += 1
        except ExpressionError:
            pass
    assert evaluated > 200  # the fuzz reaches evaluation, not only the parser
