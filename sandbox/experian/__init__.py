"""Local Experian emulator: OAuth2 token + Consumer Credit Profile v2 report, plus sandbox controls.

Experian API
- POST /oauth2/v1/token: username, password, client_id, client_secret, grant_type=password, as a JSON or
  form body; client_id / client_secret / grant_type may come as the headers Experian documents (Client_id,
  Client_secret, Grant_type). Any non-empty values are accepted unless `credentials` is configured. Answers
  {"issued_at": "<ms epoch>", "expires_in": "1800", "token_type": "Bearer", "access_token", "refresh_token"}
  (strings, as Experian sends). grant_type=refresh_token with refresh_token gets a new pair (single use).
  Bad or missing credentials: 401 errorCode 1003.
- POST /consumerservices/credit-profile/v2/credit-report with `Authorization: Bearer <token>` and
  consumerPii.primaryApplicant {name {firstName, lastName, middleName?}, dob {dob: MMDDYYYY}, ssn {ssn},
  currentAddress {line1, line2?, city, state, zipCode}}, requestor.subscriberCode, permissiblePurpose.type
  (optional, two characters, e.g. "3F"), addOns.riskModels.modelIndicator (default ["V4"]; one riskModel
  per indicator, same score). Optional header clientReferenceId is echoed in headerRecord.mKeywordText.
  Answers {"creditProfile": [{headerRecord, addressInformation, consumerIdentity, informationalMessage,
  inquiry?, publicRecord?, riskModel, summaries, tradeline, endTotals}]}; segments with nothing on file
  (inquiry, publicRecord) are left out. Every value is a string, numbers zero-padded: tradeline amounts 8
  digits, enhancedPaymentData amounts 10, Profile Summary balances 9, counts 2, dates MMDDYYYY, score
  "0783" (riskModel.evaluation "P" from 620 up, else "N").

Errors: {"errors": [{"errorCode", "errorType", "message"}]}
- 400 1000 "Api Validation Error": one entry per missing/invalid field (name, ssn, dob, address,
  requestor.subscriberCode, ...); 400 1004: body not a JSON object, or an unsupported grant_type.
- 401 1002 "Unauthorized": missing, unknown ("Invalid access token") or expired ("Access token expired")
  bearer token; sent with WWW-Authenticate: Bearer error="invalid_token".
- 400 76 "INQUIRY NOT ALLOWED": SSNs starting with a configured prefix (default "666") or an injected fault.
- 500 1001 and 504 1005: injected server errors and timeouts.

Data (see `profile` and `render`)
- Deterministic per identity: seeded from SSN + date of birth + surname. The first pull finds a score of
  550-820, 3-12 tradelines (cards "18", retail "07", auto "00", student "12", mortgage "26", unsecured
  "01"), 0-4 hard inquiries in the last two years, utilisation, lates and score factors consistent with
  the score (VantageScore 3.0 reason codes; a fifth factor, 84, when inquiries weighed but did not make
  the top four). About one file in ten is thin (three tradelines, 1-3 years old). Accounts closed in good
  standing drop off ten years after closing, inquiries after two years.
- Every later pull for the same identity is the next month: balances drift, loans amortise and may be
  paid off, the score moves a few points (sometimes 12-30, and 35-70 down after a new late payment), and
  now and then a hard inquiry (~12 %) or a new account with its inquiry (~5 %) appears. A pull's history is
  a pure function of (identity, pull number, pull dates, forced events); dates follow the wall clock (UTC)
  or `report_now`, and events are dated between the previous pull and this one.
- Tradeline status: "11" open and current, "71" 30 days past due, "12" revolving closed with zero balance,
  "13" installment paid in full (enhancedPaymentStatus uses Metro 2: 11 / 71 / 13). Payment history,
  most recent first: C current, 0 zero balance, 1 30 days late, 2 60 days late.
- Inquiries are all hard (credit-granting) inquiries: lender-facing Credit Profile reports never list soft
  inquiries. `type` is the account type of the credit applied for (same codes as tradelines), `kob` the
  lender's kind of business (BC bank card, ZR retail, FA auto finance, EL education, FM mortgage, FP
  personal loans); `amount` is "UNKNOWN" and `terms` "UNK" for card applications.

Control endpoints (JSON, under /_sandbox/experian)
- POST /reset: forget consumers, tokens, faults, forced events; config back to defaults.
- GET /config, POST /config with any of {"token_ttl_seconds": 1800, "refresh_token_ttl_seconds": 86400,
  "credentials": null | {"username", "password", "client_id", "client_secret"} (the values required),
  "report_now": null | "2025-06-15T14:39:11" (the date-time reports are generated at),
  "inquiry_not_allowed_ssn_prefixes": ["666"]}.
- POST /tokens/expire: every access token issued so far expires now; refresh tokens are dropped.
- POST /faults {"type": "server_error" | "timeout" | "latency" | "inquiry_not_allowed", "count": 1 (null:
  every call until cleared), "endpoint": "/oauth2/v1/token" | the report path (default: both), "ssn":
  only report calls for this SSN, "seconds": delay for timeout (default 30, then 504) and latency (default
  1, then a normal answer)}; GET /faults lists what is left; DELETE /faults clears them. A faulted report
  call is not a pull. inquiry_not_allowed applies to valid report calls only.
- POST /next-pull {"ssn": optional (default: whichever identity is pulled next), "new_inquiry": false,
  "new_account": false, "score_delta": null}: replaces the random events of that pull; a set score_delta
  moves the score by exactly that much (clamped to 300-850). With both flags the inquiry is the new
  account's. GET /next-pull lists pending ones; DELETE /next-pull clears them.
- GET /consumers, GET /consumers/{ssn}: identities pulled so far with their pull log and current score.

State lives in memory behind one lock and, when SANDBOX_STATE_DIR is set, in
$SANDBOX_STATE_DIR/experian.json (written after every mutation, loaded at start).
"""

from sandbox.experian import control as _control  # noqa: F401 - registers the control routes
from sandbox.experian.api import router

__all__ = ["router"]
