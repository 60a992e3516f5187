"""What Plaid's client gives us when an answer is an error: always a PlaidError, whatever the body."""

from __future__ import annotations

from typing import Any

import plaid as plaid_sdk
import pytest

from finance.banking import plaid


def failing(status: int, body: str | None) -> Any:
    def method(request: Any, **options: Any) -> Any:
        error = plaid_sdk.ApiException(status=status, reason="Bad Gateway")
        error.body = body
        raise error

    return method


@pytest.mark.parametrize("body", [None, "", "<html>502</html>", "[1]", '"str"', "null", '{"error_type": 7}'])
def test_an_error_body_not_of_plaids_shape_is_a_transient_plaid_error(body: str | None) -> None:
    with pytest.raises(plaid.PlaidError) as raised:
        plaid.call(failing(502, body), None)
    assert raised.value.status == 502 and raised.value.transient
    assert isinstance(raised.value.error_code, str) and isinstance(raised.value.message, str)


def test_plaids_own_error_object_is_read() -> None:
    body = (
        '{"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED", '
        '"error_message": "the login details of this item have changed", "display_message": null}'
    )
    with pytest.raises(plaid.PlaidError) as raised:
        plaid.call(failing(400, body), None)
    assert (raised.value.error_type, raised.value.error_code) == ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    assert raised.value.message == "the login details of this item have changed"
    assert not raised.value.transient


def test_an_answer_the_sdk_cannot_read_is_a_transient_plaid_error() -> None:
    def method(request: Any, **options: Any) -> Any:
        raise plaid_sdk.ApiTypeError("Invalid type for variable 'item_id'. Required value type is str")

    with pytest.raises(plaid.PlaidError) as raised:
        plaid.call(method, None)
    assert raised.value.transient and raised.value.error_code == "UNREADABLE_RESPONSE"
