"""A stand-in for Plaid Link: `GET /link/open?token=<link_token>` shows a sign-in page; POST signs in.

On success the browser is redirected (302) to the link token's `redirect_uri` with `public_token` and
`metadata` (JSON shaped like Link's onSuccess metadata) in the query; without a `redirect_uri` the page
posts `{type: 'plaid-link-success', public_token, metadata}` to `window.opener`. Cancel redirects with
`error=user_exit` (or posts `{type: 'plaid-link-exit', error: {error_code: 'user_exit'}, metadata}`).
A link token created with an `access_token` opens update mode: signing in repairs that item.
"""

from __future__ import annotations

import json
import uuid
from html import escape
from typing import Any
from urllib.parse import urlencode

from sandbox.http import Request, Response, html_response, redirect
from sandbox.plaid import data
from sandbox.plaid.api import GOOD_PASSWORD, check_products, repair, router
from sandbox.plaid.errors import PlaidError
from sandbox.plaid.state import store

STYLE = """
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
  background:#f1f4f8;font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#111}
.card{background:#fff;width:380px;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.12);padding:28px 30px}
.brand{font-weight:700;letter-spacing:.04em;font-size:13px;color:#555;text-transform:uppercase}
h1{font-size:21px;margin:8px 0 4px}.sub{color:#666;margin:0 0 18px;font-size:13px}
.bank{display:flex;align-items:center;gap:10px;border:1px solid #dde2ea;border-radius:10px;padding:10px 12px;
  margin:6px 0;cursor:pointer}.bank:has(input:checked){border-color:#111;background:#f7f8fa}
.logo{width:28px;height:28px;border-radius:7px;color:#fff;font-weight:700;display:flex;align-items:center;
  justify-content:center;font-size:13px}
label.f{display:block;font-size:12px;color:#555;margin:14px 0 4px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:10px 12px;
  border:1px solid #cfd6df;border-radius:8px;font-size:15px}
button{width:100%;margin-top:20px;padding:12px;background:#111;color:#fff;border:0;border-radius:8px;
  font-size:15px;font-weight:600;cursor:pointer}
.err{background:#fdecec;color:#a11;border-radius:8px;padding:10px 12px;margin:10px 0;font-size:13px}
.cancel{display:block;text-align:center;margin-top:12px;color:#555;font-size:13px}
.hint{color:#888;font-size:12px;margin-top:14px}
"""
COLOURS = ("#0a6cff", "#1f8a5b", "#b5402a", "#6a3fb5", "#8a6d1f")


def _page(title: str, body: str, status: int = 200) -> Response:
    return html_response(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
        f'<body><div class="card"><div class="brand">Plaid · sandbox</div>{body}</div></body></html>',
        status,
    )


def _script_json(value: Any) -> str:
    return json.dumps(value).replace("<", "\\u003c")


def _with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def _form(
    token: str,
    entry: dict[str, Any],
    error: str | None = None,
    username: str = "user_good",
    chosen: str | None = None,
) -> Response:
    update_item = store.items.get(entry["item_id"]) if entry["item_id"] else None
    if update_item:
        choices = [update_item["institution_id"]]
        heading = f"Reconnect to {data.INSTITUTIONS[update_item['institution_id']].name}"
        username = update_item["username"]
    else:
        required = set(entry["products"])
        choices = [key for key in data.INSTITUTIONS if required <= data.supported_products(key) | {"balance"}]
        heading = "Select your bank"
    if chosen not in choices:
        chosen = entry.get("institution_id") if entry.get("institution_id") in choices else choices[0]
    banks = "".join(
        f'<label class="bank"><input type="radio" name="institution_id" value="{key}"'
        f'{" checked" if key == chosen else ""}><span class="logo" style="background:{COLOURS[i % 5]}">'
        f"{escape(data.INSTITUTIONS[key].name[0])}</span>{escape(data.INSTITUTIONS[key].name)}</label>"
        for i, key in enumerate(choices)
    )
    problem = f'<div class="err" role="alert">{escape(error)}</div>' if error else ""
    body = f"""
<h1>{escape(heading)}</h1>
<p class="sub">{escape(entry["client_name"])} uses Plaid to connect your accounts.</p>
{problem}
<form method="post" action="/link/open">
  <input type="hidden" name="token" value="{escape(token)}">
  {banks}
  <label class="f" for="username">Username</label>
  <input type="text" id="username" name="username" value="{escape(username)}" autocomplete="off">
  <label class="f" for="password">Password</label>
  <input type="password" id="password" name="password" value="{GOOD_PASSWORD}">
  <button type="submit">Continue</button>
</form>
<a class="cancel" href="/link/open?{urlencode({"token": token, "cancel": "1"})}">Cancel</a>
<p class="hint">Sandbox users: <b>user_good</b> / <b>pass_good</b>; <b>user_transactions_dynamic</b> for
transactions that change on every refresh.</p>"""
    return _page("Plaid Link", body, 200)


def _finish(entry: dict[str, Any], params: dict[str, Any], message_type: str) -> Response:
    """Send the browser back to the app: a redirect, or a postMessage page when there is no redirect_uri."""
    if entry.get("redirect_uri"):
        encoded = {
            key: value if isinstance(value, str) else json.dumps(value) for key, value in params.items()
        }
        return redirect(_with_query(entry["redirect_uri"], encoded))
    script = (
        f"var message = Object.assign({{type: {_script_json(message_type)}}}, {_script_json(params)});"
        "if (window.opener) { window.opener.postMessage(message, '*'); window.close(); }"
    )
    return _page(
        "Plaid Link",
        f"<h1>All done</h1><p class='sub'>You can close this window.</p><script>{script}</script>",
    )


def _invalid_token() -> Response:
    return _page(
        "Plaid Link",
        '<h1>Link session expired</h1><div class="err">This link token is invalid or has '
        "expired. Go back and start again.</div>",
        400,
    )


@router.route("GET", "/link/open")
def open_link(request: Request) -> Response:
    token = request.query.get("token", "")
    with store.lock:
        entry = store.link_token(token)
        if entry is None:
            return _invalid_token()
        if request.query.get("cancel"):
            session = str(uuid.uuid4())
            if entry.get("redirect_uri"):
                return redirect(
                    _with_query(entry["redirect_uri"], {"error": "user_exit", "link_session_id": session})
                )
            return _finish(
                entry,
                {
                    "error": {"error_code": "user_exit"},
                    "metadata": {"status": None, "link_session_id": session},
                },
                "plaid-link-exit",
            )
        return _form(token, entry)


@router.route("POST", "/link/open")
def submit_link(request: Request) -> Response:
    form = {key: values[0] for key, values in request.form().items()}
    token = form.get("token", "")
    with store.lock:
        entry = store.link_token(token)
        if entry is None:
            return _invalid_token()
        username, institution_id = form.get("username") or "user_good", form.get("institution_id", "")
        if form.get("password") != GOOD_PASSWORD:
            message = PlaidError("INVALID_CREDENTIALS").display_message
            return _form(token, entry, message, username, institution_id)
        if entry["item_id"]:
            item = store.items.get(entry["item_id"])
            if item is None:
                return _invalid_token()
            repair(item)
        else:
            if institution_id not in data.INSTITUTIONS:
                return _form(token, entry, "Choose your bank.", username)
            try:
                check_products(institution_id, entry["products"])
            except PlaidError as exc:
                return _form(token, entry, exc.message, username)
            supported = data.supported_products(institution_id)
            products = entry["products"] + [p for p in entry["if_supported"] if p in supported]
            item = store.create_item(
                institution_id,
                username,
                entry["webhook"],
                products or ["transactions"],
                entry["days_requested"],
            )
        public_token = store.issue_public_token(item)
        store.save()
        accounts = store.ledger(item).profile.accounts
        metadata = {
            "institution": {
                "name": data.INSTITUTIONS[item["institution_id"]].name,
                "institution_id": item["institution_id"],
            },
            "accounts": [
                {
                    "id": a["account_id"],
                    "name": a["name"],
                    "mask": a["mask"],
                    "type": a["type"],
                    "subtype": a["subtype"],
                    "verification_status": None,
                }
                for a in accounts
            ],
            "link_session_id": str(uuid.uuid4()),
        }
        return _finish(entry, {"public_token": public_token, "metadata": metadata}, "plaid-link-success")
