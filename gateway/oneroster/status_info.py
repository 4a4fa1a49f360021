"""OneRoster's error payload: an `imsx_StatusInfo` object instead of the gateway's generic error body.

Every error response under the OneRoster paths (`/ims/oneroster/`) is rendered here, 401, 403, 404,
405 and 500 included: codeMajor `failure`, severity `error`, the gateway's message as the description
and one code minor from the OneRoster vocabulary, chosen by the error's code, else by its status.
"""

from __future__ import annotations

from flask import jsonify

CODE_MINORS = {
    "fullsuccess",
    "invalid_filter_field",
    "invalid_selection_field",
    "invaliddata",
    "unauthorisedrequest",
    "forbidden",
    "server_busy",
    "unknownobject",
    "internal_server_error",
}
CODE_MINOR_BY_STATUS = {
    401: "unauthorisedrequest",
    403: "forbidden",
    404: "unknownobject",
    429: "server_busy",
    503: "server_busy",
}


def code_minor(status: int, code: str) -> str:
    if code in CODE_MINORS:
        return code
    if status in CODE_MINOR_BY_STATUS:
        return CODE_MINOR_BY_STATUS[status]
    return "internal_server_error" if status >= 500 else "invaliddata"


def status_info(status: int, code: str, message: str) -> dict:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": message,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor(status, code),
                }
            ]
        },
    }


def status_info_response(status: int, code: str, message: str, details=None, headers=None):
    """The error renderer registered for the OneRoster paths (gateway.http_errors)."""
    if isinstance(details, dict) and code in ("bad_request", "unprocessable_entity"):
        # webargs' {parameter: [why]}: the description says which parameter and why.
        reasons = "; ".join(
            f"{name}: {' '.join(map(str, why)) if isinstance(why, list) else why}"
            for name, why in details.items()
        )
        message = f"{message} ({reasons})"
    response = jsonify(status_info(status, code, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
