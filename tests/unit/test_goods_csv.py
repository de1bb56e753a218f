from chalicelib.domain.forms import catalogue
from chalicelib.domain.goods_csv import parse_goods_csv

HEADER = (
    "hs_code,description,packages,quantity,unit,gross_weight_kg,"
    "fob_amount,fob_currency,origin_criterion\n"
)


def test_every_row_becomes_a_line():
    text = HEADER + (
        "6403.99,Leather shoes,420 cartons,5040,PR,6216.5,90720.00,USD,RVC 45%\n"
        "6404.11,Sports shoes,280 cartons,3360,PR,2940,43680.00,USD,CTH\n"
    )

    lines, problems = parse_goods_csv(text, catalogue().form("E"))

    assert problems == []
    assert [line.hs_code for line in lines] == ["640399", "640411"]


def test_bad_rows_are_reported_by_row_number_and_column():
    text = HEADER + (
        "6403.99,Leather shoes,420 cartons,5040,PR,6216.5,90720.00,USD,RVC 45%\n"
        "6404,Sports shoes,280 cartons,3360,PR,2940,43680.00,USD,CTH\n"
        "6402.99,Sandals,60 cartons,-1,PR,518.4,11520.00,USD,SP\n"
    )

    _, problems = parse_goods_csv(text, catalogue().form("E"))

    assert sorted(p.pointer for p in problems) == ["/rows/3/hs_code", "/rows/4/quantity"]


def test_rule_problems_are_reported_after_the_row_parses():
    text = HEADER + "6402.99,Sandals,60 cartons,1440,PR,518.4,11520.00,USD,SP\n"

    _, problems = parse_goods_csv(text, catalogue().form("E"))

    assert [p.pointer for p in problems] == ["/rows/2/origin_criterion"]


def test_missing_and_unknown_columns_are_named():
    _, problems = parse_goods_csv("hs_code,description,colour\n1,2,3\n", catalogue().form("E"))

    messages = [p.message for p in problems]
    assert "missing column packages" in messages and "unknown column colour" in messages


def test_utf8_bom_is_accepted():
    text = "\ufeff" + HEADER + "0801.32,Hạt điều W320,700 cartons,15876,KGM,17500,119070,USD,\n"

    lines, problems = parse_goods_csv(text, catalogue().form("B"))

    assert problems == [] and lines[0].description == "Hạt điều W320"
