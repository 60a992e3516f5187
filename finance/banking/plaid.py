"""A thin client over plaid-python's PlaidApi: real Plaid with credentials, else the local sandbox.

Every call goes through `call()`, which turns plaid's exceptions (and timeouts) into `PlaidError`
with the vendor's error code and whether retrying can help.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import plaid
import urllib3
from django.conf import settings
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_transactions import LinkTokenTransactions
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import SandboxPublicTokenCreateRequestOptions
from plaid.model.transactions_refresh_request import TransactionsRefreshRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from finance.models import PlaidItem

T = TypeVar("T")

MUTATION_DURING_PAGINATION = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
ITEM_LOGIN_REQUIRED = "ITEM_LOGIN_REQUIRED"
PRODUCTS_NOT_SUPPORTED = "PRODUCTS_NOT_SUPPORTED"
NO_LIABILITY_ACCOUNTS = "NO_LIABILITY_ACCOUNTS"


@dataclass
class PlaidError(Exception):
    status: int
    error_type: str
    error_code: str
    message: str

    @property
    def transient(self) -> bool:
        """Worth retrying later: Plaid's own failures, rate limits, timeouts."""
        return (
            self.status >= 500
            or self.status in (0, 429)
            or self.error_type in ("API_ERROR", "RATE_LIMIT_EXCEEDED")
        )

    def __str__(self) -> str:
        return f"{self.error_code or self.error_type} ({self.status}): {self.message}"


def uses_sandbox() -> bool:
    return not (settings.PLAID_CLIENT_ID and settings.PLAID_SECRET)


@cache
def _api() -> plaid_api.PlaidApi:
    if uses_sandbox():
        host, client_id, secret = settings.SANDBOX_URL, "local-sandbox", "local-sandbox-secret"
    else:
        host = (
            plaid.Environment.Production if settings.PLAID_ENV == "production" else plaid.Environment.Sandbox
        )
        client_id, secret = settings.PLAID_CLIENT_ID, settings.PLAID_SECRET
    configuration = plaid.Configuration(
        host=host, api_key={"clientId": client_id, "secret": secret, "plaidVersion": "2020-09-14"}
    )
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


def call(method: Callable[..., T], request: Any, **options: Any) -> T:
    try:
        return method(request, _request_timeout=settings.PLAID_TIMEOUT_SECONDS, **options)
    except plaid.ApiException as exc:
        try:
            body = json.loads(exc.body or "{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):  # a proxy's answer, not Plaid's error object
            body = {}
        raise PlaidError(
            status=int(exc.status or 0),
            error_type=str(body.get("error_type") or ""),
            error_code=str(body.get("error_code") or ""),
            message=str(body.get("error_message") or exc.reason),
        ) from exc
    except plaid.OpenApiException as exc:
        # An answer the SDK could not read into Plaid's models (a missing or mistyped field): treated
        # like Plaid failing, so callers retry or show their "Plaid is not answering" message.
        raise PlaidError(
            status=502, error_type="API_ERROR", error_code="UNREADABLE_RESPONSE", message=str(exc)
        ) from exc
    except (urllib3.exceptions.HTTPError, TimeoutError, ConnectionError) as exc:
        raise PlaidError(status=0, error_type="NETWORK", error_code="TIMEOUT", message=str(exc)) from exc


def call_json(method: Callable[..., Any], request: Any) -> dict[str, Any]:
    """For the data-heavy calls: the SDK sends the request (auth, retries, errors), and we read the
    JSON ourselves. plaid-python's model deserialisation costs ~4 ms per transaction, which made a
    100 k-transaction sync take minutes; plain JSON keeps it to seconds."""
    response = call(method, request, _preload_content=False)
    return dict(json.loads(response.data))


# --- the calls we make ---------------------------------------------------------------------------
def link_token_create(
    *, user_id: int, redirect_uri: str, access_token: str | None = None, days_requested: int = 730
) -> str:
    """A Link token for a new connection, or (with `access_token`) for update mode (re-login)."""
    fields: dict[str, Any] = {
        "client_name": settings.SITE_NAME[:30],  # Link shows it to the person; Plaid allows 30
        "language": "en",
        "country_codes": [CountryCode("US")],
        "user": LinkTokenCreateRequestUser(client_user_id=str(user_id)),
        "webhook": settings.PLAID_WEBHOOK_URL,
        "redirect_uri": redirect_uri,
    }
    if access_token:
        fields["access_token"] = access_token
    else:
        fields["products"] = [Products("transactions")]
        fields["additional_consented_products"] = [Products("liabilities")]
        fields["transactions"] = LinkTokenTransactions(days_requested=days_requested)
    return str(call(_api().link_token_create, LinkTokenCreateRequest(**fields)).link_token)


def public_token_exchange(public_token: str) -> tuple[str, str]:
    response = call(
        _api().item_public_token_exchange, ItemPublicTokenExchangeRequest(public_token=public_token)
    )
    return str(response.access_token), str(response.item_id)


def sandbox_public_token(institution_id: str, username: str = "user_good") -> str:
    """Sandbox only: a public token without going through Link (demo data, tests)."""
    request = SandboxPublicTokenCreateRequest(
        institution_id=institution_id,
        initial_products=[Products("transactions")],
        options=SandboxPublicTokenCreateRequestOptions(
            webhook=settings.PLAID_WEBHOOK_URL,
            override_username=username,
            override_password="pass_good",  # noqa: S106 - the sandbox's public test login
        ),
    )
    return str(call(_api().sandbox_public_token_create, request).public_token)


def item_get(access_token: str) -> Any:
    return call(_api().item_get, ItemGetRequest(access_token=access_token))


def accounts_get(access_token: str) -> dict[str, Any]:
    return call_json(_api().accounts_get, AccountsGetRequest(access_token=access_token))


def transactions_sync(access_token: str, cursor: str, count: int) -> dict[str, Any]:
    request = TransactionsSyncRequest(access_token=access_token, cursor=cursor, count=count)
    return call_json(_api().transactions_sync, request)


def transactions_refresh(access_token: str) -> None:
    call(_api().transactions_refresh, TransactionsRefreshRequest(access_token=access_token))


def liabilities_get(access_token: str) -> dict[str, Any]:
    return call_json(_api().liabilities_get, LiabilitiesGetRequest(access_token=access_token))


def item_remove(access_token: str) -> None:
    call(_api().item_remove, ItemRemoveRequest(access_token=access_token))


def webhook_verification_key(key_id: str) -> dict[str, Any]:
    response = call(_api().webhook_verification_key_get, WebhookVerificationKeyGetRequest(key_id=key_id))
    return response.key.to_dict()


class LinkMetadataError(ValueError):
    """What the browser posted as Link's onSuccess metadata is not of Link's shape."""


@dataclass(frozen=True)
class LinkInstitution:
    institution_id: str = ""
    name: str = ""


def link_institution(raw: str) -> LinkInstitution:
    """The institution in Link's onSuccess metadata, the JSON that link.js posts ("" when none was
    posted; Link gives `institution: null` in some flows). Raises LinkMetadataError for anything else:
    the text comes from the browser, so it can be of any shape."""
    if not raw.strip():
        return LinkInstitution()
    try:
        metadata = json.loads(raw)
    except (ValueError, RecursionError):
        raise LinkMetadataError("The connection details from Plaid Link are not valid JSON.") from None
    if not isinstance(metadata, dict):
        raise LinkMetadataError("The connection details from Plaid Link are not a JSON object.")
    institution = metadata.get("institution")
    if institution is None:
        return LinkInstitution()
    if not isinstance(institution, dict):
        raise LinkMetadataError("The institution in the connection details from Plaid Link is not an object.")
    values = {}
    for key, column in (("institution_id", "institution_id"), ("name", "institution_name")):
        value = institution.get(key)
        value = "" if value is None else value
        limit = int(getattr(PlaidItem._meta.get_field(column), "max_length", 0))
        if not isinstance(value, str) or "\x00" in value or len(value) > limit:
            raise LinkMetadataError(
                f"The institution's {key} in the connection details from Plaid Link must be plain text "
                f"of at most {limit} characters."
            )
        values[key] = value
    return LinkInstitution(institution_id=values["institution_id"], name=values["name"])


def link_url(link_token: str) -> str | None:
    """Where the browser goes to link: the sandbox's stand-in page, or None for real Plaid Link."""
    if uses_sandbox():
        return f"{settings.SANDBOX_PUBLIC_URL}/link/open?token={link_token}"
    return None
