"""The candidate link's placeholder, as stored, sent and previewed."""

from recruitcare.domain.tokens import (
    LINK_TOKEN_PLACEHOLDER,
    fill_link,
    link_template,
    shown_link,
)


def test_a_preview_reads_the_link_as_what_it_will_be_and_sending_fills_the_token():
    body = f"See where you stand at {link_template('https://jobs.example/')}."
    assert shown_link(body) == (
        "See where you stand at https://jobs.example/c/[private link, made when sent]."
    )
    assert fill_link(body, "tok") == "See where you stand at https://jobs.example/c/tok."
    assert LINK_TOKEN_PLACEHOLDER not in shown_link(body + body)
