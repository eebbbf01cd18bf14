"""The DAX parser: names, literals, operators and their precedence, VAR/RETURN, comments, and located errors."""

from __future__ import annotations

import pytest

from bridge.data.dax.syntax import Bin, Call, Col, DaxSyntaxError, Ident, Let, Num, Str, TableCtor, Unary, parse
from bridge.limits import MAX_DAX_DEPTH


def test_quoted_and_bare_table_names_and_bracketed_columns():
    assert parse("'Internet Sales'[Sales Amount]") == Col("Internet Sales", "Sales Amount")
    assert parse("Sales[Amount]") == Col("Sales", "Amount")
    assert parse("[Total Sales]") == Col(None, "Total Sales")
    assert parse("'It''s'[a]]b]") == Col("It's", "a]b")


def test_literals_strings_escape_doubled_quotes():
    assert parse('"say ""hi"""') == Str('say "hi"')
    assert parse("1.5e3") == Num(1500.0)
    assert parse(".5") == Num(0.5)


def test_precedence_multiplication_before_addition_before_concatenation_before_comparison():
    tree = parse('1 + 2 * 3 & "x" = "7x"')
    assert tree == Bin("=", Bin("&", Bin("+", Num(1), Bin("*", Num(2), Num(3))), Str("x")), Str("7x"))


def test_and_binds_tighter_than_or_and_in_takes_a_table_constructor():
    tree = parse("a[x] IN {1, 2} || b[y] = 1 && NOT c[z]")
    assert isinstance(tree, Bin) and tree.op == "||"
    assert tree.left == Bin("IN", Col("a", "x"), TableCtor(((Num(1),), (Num(2),))))
    assert tree.right == Bin("&&", Bin("=", Col("b", "y"), Num(1)), Unary("NOT", Col("c", "z")))


def test_var_return_and_every_comment_style():
    text = """
    VAR a = 1 // line
    VAR b = 2 -- another
    /* block
       comment */
    RETURN a + b"""
    tree = parse(text)
    assert tree == Let((("a", Num(1)), ("b", Num(2))), Bin("+", Ident("a"), Ident("b")))


def test_calls_keep_omitted_arguments_and_upper_case_names():
    assert parse("rankx(t, [x], , DESC)") == Call("RANKX", (Ident("t"), Col(None, "x"), None, Ident("DESC")))
    assert parse("BLANK()") == Call("BLANK", ())


def test_table_constructor_of_tuples():
    assert parse('{(1, "a"), (2, "b")}') == TableCtor(((Num(1), Str("a")), (Num(2), Str("b"))))


@pytest.mark.parametrize("text, where", [
    ("SUM(Sales[Amount]", "line 1, column 18"),
    ("1 +", "line 1, column 4"),
    ("IF(a,\n  b c)", "line 2, column 5"),
    ("VAR x = 1 x", "line 1, column 11"),
    ("'Sales'[Amount] @ 2", "line 1, column 17"),
])
def test_malformed_dax_names_the_line_and_column(text, where):
    with pytest.raises(DaxSyntaxError) as err:
        parse(text)
    assert where in str(err.value)


def test_nesting_deeper_than_the_limit_is_refused_not_a_recursion_error():
    text = "(" * (MAX_DAX_DEPTH + 5) + "1" + ")" * (MAX_DAX_DEPTH + 5)
    with pytest.raises(DaxSyntaxError, match="MAX_DAX_DEPTH"):
        parse(text)
    assert parse("(" * 20 + "1" + ")" * 20) == Num(1)
