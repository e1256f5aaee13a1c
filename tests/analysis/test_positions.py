"""Statement positions as the simulator reports them: 1-based lines, the column just after each brace."""

from __future__ import annotations

import json

from rolegate.analysis.positions import Position, Span, statement_spans

# The AWS CLI's example document of simulate-custom-policy: a single statement object on one line.
AWS_EXAMPLE = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
               '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')


def test_the_aws_cli_example_gets_the_positions_aws_reports() -> None:
    assert statement_spans(AWS_EXAMPLE) == (Span(Position(1, 38), Position(1, 167)),)


def test_each_statement_of_an_array_gets_its_own_span_across_lines() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}, indent=2)
    lines = text.splitlines()
    spans = statement_spans(text)
    assert len(spans) == 2
    for span in spans:
        assert lines[span.start.line - 1][span.start.column - 2] == "{"
        assert lines[span.end.line - 1][span.end.column - 2] == "}"
    assert spans[0].end.line < spans[1].start.line


def test_braces_and_quotes_inside_strings_do_not_move_the_span() -> None:
    text = '{"Statement":[{"Sid":"a}\\"{b","Effect":"Allow","Action":"s3:*","Resource":"*"}],"Version":"2012-10-17"}'
    [span] = statement_spans(text)
    assert (span.start, span.end) == (Position(1, 16), Position(1, text.index("}]") + 2))


def test_text_that_is_not_json_has_no_spans() -> None:
    assert statement_spans('{"Statement": [{"Effect": ') == ()
    assert statement_spans("[]") == ()
