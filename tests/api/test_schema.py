"""The OpenAPI schema: every operation documents each refusal it can answer with, in the one error shape
and with an example that is what the API really says; and a schemathesis run over the whole schema,
against the app itself, finds no server error and no answer the schema does not describe."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from hypothesis import HealthCheck, settings
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.models import ApiKey
from creditapp.api.errors import error_body
from creditapp.api.schema import ErrorSerializer
from creditapp.api.views import TenantGenericViewSet
from creditapp.tenancy.db import tenant_context
from finance.models import Account, Transaction
from notifications.models import Alert
from tests.billing.conftest import make_user, put_on_plan
from tests.finance import builders as b
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

ERROR_REF = "#/components/schemas/Error"
RATE_LIMIT_HEADERS = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}


def served_schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return dict(response.json())


def examples_of(response: dict[str, Any]) -> dict[str, Any]:
    return dict(response["content"]["application/json"].get("examples", {}))


# --- the generic part, on the real schema -----------------------------------------------------------
def test_a_list_documents_every_refusal_a_read_can_meet_with_examples() -> None:
    operation = served_schema()["paths"]["/api/v1/transactions/"]["get"]
    responses = operation["responses"]
    assert {"200", "400", "401", "402", "429", "500"} <= set(responses)
    assert not {"403", "404", "409", "422"} & set(responses)  # a read of a list: no scope, id or key
    for code, response in responses.items():
        assert set(response["headers"]) >= RATE_LIMIT_HEADERS, code
        if code >= "400":
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, code
            assert examples_of(response) and response["description"], code
    assert "Retry-After" in responses["429"]["headers"] and "Retry-After" not in responses["200"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert {"InvalidRequest", "PageSizeTooLarge", "InvalidCursor"} <= set(examples_of(responses["400"]))
    assert {"Unauthenticated", "InvalidApiKey", "ApiKeyExpired"} <= set(examples_of(responses["401"]))
    page_size = next(p for p in operation["parameters"] if p["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert "Idempotency-Key" not in {p["name"] for p in operation["parameters"]}


def test_a_detail_documents_404_and_every_error_uses_the_one_shape() -> None:
    spec = served_schema()
    assert set(spec["paths"]["/api/v1/accounts/{id}/"]["get"]["responses"]) >= {"401", "402", "404", "429"}
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    info = spec["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert set(info["required"]) == {"code", "message", "details"}
    for route, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                for name, example in examples_of(response).items() if code >= "400" else ():
                    assert set(example["value"]) == {"error"}, (method, route, code, name)
                    assert set(example["value"]["error"]) == {"code", "message", "details"}


def test_the_schema_names_the_bearer_key_and_the_guide() -> None:
    spec = served_schema()
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "ck_<prefix>_<secret>",
        "description": "A personal API key from /accounts/api-keys/ (Pro and Family plans).",
    }  # fmt: skip
    assert "/api/docs/" in spec["info"]["description"]


# --- the generic part, on writes (a throwaway resource, so the test does not wait for real ones) ------
class NoteSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=200)


CLASH = OpenApiResponse(
    ErrorSerializer,
    description="A note with this text exists.",
    examples=[
        OpenApiExample("note_exists", value=error_body("note_exists", "A note with this text exists."))
    ],
)


class NoteViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, TenantGenericViewSet):
    serializer_class = NoteSerializer
    queryset = Account.objects.all()

    @extend_schema(responses={201: NoteSerializer, 409: CLASH})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotImplementedError

    @extend_schema(responses={200: NoteSerializer, 409: OpenApiResponse(description="Locked.")})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotImplementedError


def notes_schema() -> dict[str, Any]:
    router = SimpleRouter()
    router.register("notes", NoteViewSet, basename="note")
    patterns = [path("api/v1/", include(router.urls))]
    return dict(SchemaGenerator(patterns=patterns).get_schema(request=None, public=True))


def test_writes_document_scope_idempotency_and_keep_a_views_own_codes() -> None:
    paths = notes_schema()["paths"]
    create, patch = paths["/api/v1/notes/"]["post"], paths["/api/v1/notes/{id}/"]["patch"]
    assert set(create["responses"]) == {"201", "400", "401", "402", "403", "409", "422", "429", "500"}
    assert set(patch["responses"]) == {"200", "400", "401", "402", "403", "404", "409", "422", "429", "500"}
    for operation in (create, patch):
        idempotency_key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert idempotency_key["in"] == "header" and not idempotency_key.get("required")
        assert {"MalformedBody", "InvalidIdempotencyKey"} <= set(examples_of(operation["responses"]["400"]))
        assert "IdempotencyKeyReused" in examples_of(operation["responses"]["422"])
        assert "InsufficientScope" in examples_of(operation["responses"]["403"])
    # The view's own 409 keeps its description and example; the idempotency one joins it.
    clash = create["responses"]["409"]
    assert clash["description"].startswith("A note with this text exists.")
    assert {"NoteExists", "IdempotencyKeyInUse"} <= set(examples_of(clash))
    # A declared code without a body gets the error shape.
    locked = patch["responses"]["409"]
    assert locked["description"].startswith("Locked.")
    assert locked["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    assert set(locked["headers"]) >= RATE_LIMIT_HEADERS


# --- the examples are what the API says -------------------------------------------------------------
def example(spec: dict[str, Any], route: str, code: str, name: str) -> dict[str, Any]:
    return dict(examples_of(spec["paths"][route]["get"]["responses"][code])[name]["value"])


def test_the_documented_refusals_are_the_real_ones(settings: Any) -> None:
    spec = served_schema()
    pro, basic = make_user(joined_days_ago=30), make_user(joined_days_ago=30)
    put_on_plan(pro, "pro")
    put_on_plan(basic, "basic")
    reader = api_key_create(owner_id=pro.pk, name="reader").token
    revoked = api_key_create(owner_id=pro.pk, name="old")
    api_key_revoke(owner_id=pro.pk, key_pk=revoked.key.pk)
    expired = api_key_create(owner_id=pro.pk, name="short", expires_at=timezone.now() + timedelta(seconds=1))
    ApiKey.objects.filter(pk=expired.key.pk).update(expires_at=timezone.now() - timedelta(days=1))

    def get(url: str, token: str | None = None) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return Client().get(url, **headers)

    route, detail = "/api/v1/transactions/", "/api/v1/accounts/{id}/"
    cases = [
        (get(route), route, "401", "Unauthenticated"),
        (get(route, revoked.token), route, "401", "InvalidApiKey"),
        (get(route, "ck_nosuchkey_secret"), route, "401", "InvalidApiKey"),
        (get(route, expired.token), route, "401", "ApiKeyExpired"),
        (get(f"{route}?page_size=501", reader), route, "400", "PageSizeTooLarge"),
        (get(f"{route}?cursor=junk!", reader), route, "400", "InvalidCursor"),
        (get("/api/v1/accounts/999999999/", reader), detail, "404", "NotFound"),
    ]
    for response, documented_at, code, name in cases:
        documented = example(spec, documented_at, code, name)
        assert (str(response.status_code), response.json()) == (code, documented), name
        assert set(response.headers) >= RATE_LIMIT_HEADERS, name
    assert get(route)["WWW-Authenticate"] == 'Bearer realm="api"'

    refused = get(route, api_key_create(owner_id=basic.pk, name="basic").token)
    documented = example(spec, route, "402", "UpgradeRequired")["error"]
    assert refused.status_code == 402
    assert {k: v for k, v in refused.json()["error"].items() if k != "details"} == {
        "code": documented["code"], "message": documented["message"],
    }  # fmt: skip
    assert set(refused.json()["error"]["details"]) == set(documented["details"]) == {"feature", "upgrade_url"}

    write = Client().post("/api/v1/accounts/", {}, HTTP_AUTHORIZATION=f"Bearer {reader}")
    scope = examples_of(notes_schema()["paths"]["/api/v1/notes/"]["post"]["responses"]["403"])
    assert (write.status_code, write.json()) == (403, scope["InsufficientScope"]["value"])

    settings.API_RATE_LIMITS = {
        **settings.API_RATE_LIMITS,
        "pro": {"read": "1/min", "write": "1/min", "sync": "1/min"},
    }
    get(route, reader)
    limited = get(route, reader)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    documented = example(spec, route, "429", "RateLimited")["error"]
    assert limited.json()["error"]["code"] == documented["code"]
    assert limited.json()["error"]["message"] == documented["message"]
    assert set(limited.json()["error"]["details"]) == {"retry_after_seconds"}


# --- schemathesis over the whole schema ---------------------------------------------------------------
# The schema as the app serves it, built when the tests are collected (no database needed), called
# through the app itself over WSGI.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def customer_key(settings: Any) -> str:
    """A Pro customer's read-write key; the customer has a little of everything: a bank connection,
    checking and a card with its statement, transactions and an alert."""
    # Room for every generated request: the rate limits have their own tests.
    settings.API_RATE_LIMITS = {
        **settings.API_RATE_LIMITS,
        "pro": {"read": "100000/min", "write": "100000/min", "sync": "100000/min"},
    }
    user = make_user(joined_days_ago=60)
    put_on_plan(user, "pro")
    with tenant_context(user.pk):
        item = ItemFactory(user=user)
        checking = b.account(user.pk, name="Everyday Checking", balance=250_000, item=item)
        card = b.account(user.pk, type=Account.Type.CREDIT, name="Rewards Card", balance=42_000,
                         credit_limit_minor=500_000, item=item)  # fmt: skip
        b.liability(
            user.pk, card, minimum_payment_minor=2_500, next_payment_due_date=date.today() + timedelta(7)
        )
        for day in range(12):
            on = checking if day % 3 else card
            b.txn(user.pk, on, amount=450 + day * 100, day=date.today() - timedelta(day), name=f"Cafe {day}")
        Alert.objects.create(user=user, kind=Alert.Kind.PAYMENT_DUE, title="Rewards Card is due in 7 days",
                             dedupe_key=f"due:{card.pk}")  # fmt: skip
        assert Transaction.objects.filter(user=user).count() == 12
    return api_key_create(owner_id=user.pk, name="schemathesis", scope=ApiKey.Scope.READ_WRITE).token


@settings(
    max_examples=6, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@schema.parametrize()
def test_every_operation_answers_as_documented(case: Any, customer_key: str) -> None:
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and 0 < len(key) <= 255 and key.isprintable():
        # Generated keys repeat ("0", "00", …) across different bodies, which is a 422 every time; a
        # client sends a new key per change, so each valid one is made unique and the endpoint is reached.
        case.headers["Idempotency-Key"] = f"{key[:200]}-{uuid.uuid4()}"
    case.call_and_validate(
        headers={"Authorization": f"Bearer {customer_key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
