"""Consumer of an external OneRoster 1.1 or 1.2 REST provider: OAuth2 client credentials (authlib),
limit/offset paging with X-Total-Count and Link, delta pulls with `filter=dateLastModified>'…'`,
retries with backoff on 429 and 5xx (honouring Retry-After), clear errors on 401, 403 and
malformed payloads.

What it pulls goes in the way a CSV export would: `pull_roster` writes the records as a OneRoster
CSV file set (bulk for a full pull, delta for a pull since a date) and imports it with
`adapters.oneroster.importer`, so a pulled roster gets the same validation, references check,
counts and all-or-nothing apply as an imported one. In a full pull, an endpoint that answers with no
records gives a bulk file with no rows (the provider has none: the stored ones of that source go);
an endpoint the provider does not offer (404 or 501) is declared absent (the stored ones stay).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from adapters.oneroster.columns import COLUMNS
from adapters.oneroster.importer import ImportResult, import_roster

BASE_PATHS = {"1.1": "/ims/oneroster/v1p1", "1.2": "/ims/oneroster/rostering/v1p2"}
# endpoint (and the key of its response's list) per entity, in import order
ENDPOINTS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics")


class ProviderError(Exception):
    """The provider could not be read; the message says why, for an operator."""


class ProviderAuthenticationError(ProviderError):
    """401, or the token endpoint refused the client credentials."""


class EndpointNotOfferedError(ProviderError):
    """404 or 501 on an endpoint's first page: the provider does not offer that collection."""


class ProviderForbiddenError(ProviderError):
    """403: the credentials lack the scope for an endpoint."""


class MalformedPayloadError(ProviderError):
    """A response that is not the OneRoster JSON it should be."""


class ProviderUnavailableError(ProviderError):
    """429 or 5xx, still after every retry; or the provider is unreachable."""


@dataclass
class ProviderConfig:
    base_url: str  # e.g. https://sis.example.jp (the OneRoster base path is added)
    token_url: str
    client_id: str
    client_secret: str
    version: str = "1.2"
    scope: str | None = None
    name: str = "OneRoster REST provider"  # the import source (manifest source.systemName)
    page_size: int = 1000
    max_retries: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    timeout_seconds: float = 30.0


class OneRosterRestClient:
    """Reads collections from one provider. `sleep` is injectable so tests do not wait."""

    def __init__(self, config: ProviderConfig, *, sleep: Callable[[float], None] = time.sleep):
        if config.version not in BASE_PATHS:
            raise ValueError(f"OneRoster version must be 1.1 or 1.2, not {config.version!r}")
        self.config = config
        self.sleep = sleep
        self.session = OAuth2Session(
            config.client_id,
            config.client_secret,
            scope=config.scope,
            token_endpoint=config.token_url,
            grant_type="client_credentials",
        )
        self.base = config.base_url.rstrip("/") + BASE_PATHS[config.version]

    def close(self) -> None:
        self.session.close()

    def _fetch_token(self) -> None:
        try:
            self.session.fetch_token(self.config.token_url, grant_type="client_credentials")
        except OAuthError as error:
            raise ProviderAuthenticationError(
                f"the token endpoint {self.config.token_url} refused the client credentials: "
                f"{error.error}{': ' + error.description if error.description else ''}"
            ) from None
        except requests.RequestException as error:
            raise ProviderUnavailableError(
                f"the token endpoint {self.config.token_url} is unreachable: {error}"
            ) from None
        except ValueError as error:
            raise MalformedPayloadError(
                f"the token endpoint {self.config.token_url} answered no token: {error}"
            ) from None

    def collection(self, endpoint: str, since: datetime | None = None) -> Iterator[dict]:
        """Every record of a collection endpoint, page by page (Link rel="next" when the provider
        gives one, else limit/offset until X-Total-Count). Once the provider has paged with Link, a
        page without a next link is the last. Without either, a page is the last when it is empty
        or shorter than an earlier one: a provider may cap the limit below the one asked for, so a
        first page shorter than asked is not yet the end (a bulk pull that stopped there would
        delete the rest)."""
        params: dict = {"limit": self.config.page_size, "offset": 0}
        if since is not None:
            params["filter"] = f"dateLastModified>'{_iso(since)}'"
        url: str | None = f"{self.base}/{endpoint}"
        offset = 0
        linked = False
        largest_page = 0
        while url:
            try:
                response = self._get(url, None if linked else params)
            except EndpointNotOfferedError as error:
                if offset or linked:  # a collection that vanishes mid-way is a failure, not absence
                    raise ProviderError(str(error)) from None
                raise
            items = _items(response, endpoint, url)
            yield from items
            offset += len(items)
            largest_page = max(largest_page, len(items))
            total = response.headers.get("X-Total-Count")
            next_url = response.links.get("next", {}).get("url")
            if next_url:
                url, linked = urljoin(url, next_url), True
            elif (
                linked
                or not items
                or (total is not None and total.isdigit() and offset >= int(total))
                or (total is None and len(items) < largest_page)
            ):
                url = None
            else:
                params["offset"] = offset

    def _get(self, url: str, params: dict | None) -> requests.Response:
        if not self.session.token:
            self._fetch_token()
        refreshed = False
        attempt = 0
        while True:
            try:
                response = self.session.get(url, params=params, timeout=self.config.timeout_seconds)
            except OAuthError:
                self._fetch_token()  # an expired token that could not be renewed in place
                continue
            except requests.RequestException as error:
                response, failure = None, f"unreachable ({type(error).__name__})"
            else:
                if response.status_code == 401 and not refreshed:
                    refreshed = True  # renew the token once; a second 401 is final
                    self._fetch_token()
                    continue
                failure = _retryable_failure(url, response)
                if failure is None:
                    return response
            if attempt >= self.config.max_retries:
                raise ProviderUnavailableError(f"{url}: {failure}, still after {attempt} retries")
            self.sleep(self._delay(response, attempt))
            attempt += 1

    def _delay(self, response: requests.Response | None, attempt: int) -> float:
        """Retry-After when the provider gives it (seconds or an HTTP date), else exponential backoff
        with jitter, capped."""
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after:
            try:
                seconds = float(retry_after)
            except ValueError:
                try:
                    seconds = (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds()
                except (TypeError, ValueError):
                    seconds = None
            if seconds is not None:
                return min(max(seconds, 0.0), self.config.max_backoff_seconds)
        backoff = self.config.backoff_seconds * 2**attempt
        return min(backoff * (0.5 + random.random() / 2), self.config.max_backoff_seconds)


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _retryable_failure(url: str, response: requests.Response) -> str | None:
    """None for a success; a description for a response worth retrying (429, 5xx); raises the
    matching ProviderError for any other error status."""
    status = response.status_code
    if status in (404, 501):
        raise EndpointNotOfferedError(f"{url}: {status}{_status_info(response)}")
    if status == 429 or status >= 500:
        return f"{status}{_status_info(response)}"
    if status == 401:
        raise ProviderAuthenticationError(f"{url}: 401 Unauthorized{_status_info(response)}")
    if status == 403:
        raise ProviderForbiddenError(
            f"{url}: 403 Forbidden{_status_info(response)} (does the client have the roster scopes?)"
        )
    if status >= 400:
        raise ProviderError(f"{url}: {status}{_status_info(response)}")
    return None


def _status_info(response: requests.Response) -> str:
    """The imsx_StatusInfo description of an error response, when there is one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        info = body.get("imsx_statusInfo") or body.get("imsx_StatusInfo") or body
        if isinstance(info, dict) and info.get("imsx_description"):
            return f" ({info['imsx_description']})"
    return ""


def _items(response: requests.Response, endpoint: str, url: str) -> list[dict]:
    try:
        body = response.json()
    except ValueError:
        raise MalformedPayloadError(f"{url}: the response is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get(endpoint), list):
        raise MalformedPayloadError(f"{url}: the response has no {endpoint!r} list")
    for index, item in enumerate(body[endpoint]):
        if not isinstance(item, dict) or not isinstance(item.get("sourcedId"), str) or not item["sourcedId"]:
            raise MalformedPayloadError(f"{url}: {endpoint}[{index}] is not a record with a sourcedId")
    return body[endpoint]


# -- JSON records → CSV rows ---------------------------------------------------------------------


def _ref(value) -> str:
    if isinstance(value, dict):
        return str(value.get("sourcedId") or "")
    return "" if value is None else str(value)


def _refs(values) -> str:
    return ",".join(_ref(v) for v in values or [])


def _join(values) -> str:
    if isinstance(values, list):
        return ",".join(str(v) for v in values)
    return "" if values is None else str(values)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def row_of(entity: str, record: dict, version: str) -> dict[str, str]:
    """The CSV row (column → text) of a REST JSON record."""
    row = {
        key: _text(record.get(key))
        for key in COLUMNS[version][entity]
        if not isinstance(record.get(key), dict | list)
    }
    if entity in ("orgs", "academicSessions"):
        row["parentSourcedId"] = _ref(record.get("parent"))
    elif entity == "courses":
        row.update(
            schoolYearSourcedId=_ref(record.get("schoolYear")),
            orgSourcedId=_ref(record.get("org")),
            grades=_join(record.get("grades")),
            subjects=_join(record.get("subjects")),
            subjectCodes=_join(record.get("subjectCodes")),
        )
    elif entity == "classes":
        row.update(
            courseSourcedId=_ref(record.get("course")),
            schoolSourcedId=_ref(record.get("school")),
            termSourcedIds=_refs(record.get("terms")),
            grades=_join(record.get("grades")),
            subjects=_join(record.get("subjects")),
            subjectCodes=_join(record.get("subjectCodes")),
            periods=_join(record.get("periods")),
        )
    elif entity == "users":
        row.update(
            userIds=",".join(
                f"{{{u.get('type', '')}:{u.get('identifier', '')}}}" for u in record.get("userIds") or []
            ),
            agentSourcedIds=_refs(record.get("agents")),
            grades=_join(record.get("grades")),
            password="",
        )
        if version == "1.1":
            row["orgSourcedIds"] = _refs(record.get("orgs"))
        else:
            row.update(
                primaryOrgSourcedId=_ref(record.get("primaryOrg")),
                preferredGivenName=_text(record.get("preferredFirstName")),
                preferredFamilyName=_text(record.get("preferredLastName")),
                resourceSourcedIds=_refs(record.get("resources")),
            )
    elif entity == "enrollments":
        row.update(
            classSourcedId=_ref(record.get("class")),
            schoolSourcedId=_ref(record.get("school")),
            userSourcedId=_ref(record.get("user")),
        )
    metadata = record.get("metadata")
    if isinstance(metadata, dict):
        row.update(_metadata_columns(metadata))
    return row


def _metadata_columns(metadata: dict, prefix: str = "metadata") -> Iterator[tuple[str, str]]:
    """The metadata.* columns of a metadata object, nested objects flattened with dots: the Japan
    Profile's {"jp": {"kanaGivenName": …}} and {"jp.kanaGivenName": …} both give
    metadata.jp.kanaGivenName. Lists have no CSV form and are left out."""
    for key, value in metadata.items():
        column = f"{prefix}.{key}"
        if isinstance(value, dict):
            yield from _metadata_columns(value, column)
        elif not isinstance(value, list):
            yield column, _text(value)


def role_rows(user: dict) -> list[dict[str, str]]:
    """roles.csv rows of a 1.2 user's `roles`. Their sourcedIds are derived from the user, org and
    role (shaped as UUIDv4), so pulling the same roles again gives the same ids."""
    rows = []
    for role in user.get("roles") or []:
        if not isinstance(role, dict):
            raise MalformedPayloadError(f"user {user['sourcedId']}: a role is not an object")
        key = f"{user['sourcedId']}|{_ref(role.get('org'))}|{role.get('role')}|{role.get('roleType')}"
        rows.append(
            {
                "sourcedId": derived_id(key),
                "status": _text(user.get("status")),
                "dateLastModified": _text(user.get("dateLastModified")),
                "userSourcedId": user["sourcedId"],
                "roleType": _text(role.get("roleType")),
                "role": _text(role.get("role")),
                "beginDate": _text(role.get("beginDate")),
                "endDate": _text(role.get("endDate")),
                "orgSourcedId": _ref(role.get("org")),
                "userProfileSourcedId": "",
            }
        )
    return rows


def derived_id(key: str) -> str:
    return str(uuid.UUID(bytes=hashlib.blake2b(key.encode(), digest_size=16).digest(), version=4))


class _SpooledFile:
    """Rows of one CSV file, spooled as JSON lines until every column (metadata.* included) is known."""

    def __init__(self, directory: Path, entity: str, version: str):
        self.entity, self.directory = entity, directory
        self.columns = list(COLUMNS[version][entity])
        self.extra: list[str] = []
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by pull_to_file_set)
        self.count = 0

    def add(self, row: dict[str, str]) -> None:
        for key in row:
            if key not in self.columns and key not in self.extra:
                self.extra.append(key)
        self.spool.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.count += 1

    def write(self) -> None:
        self.spool.seek(0)
        with (self.directory / f"{self.entity}.csv").open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(
                file, fieldnames=self.columns + self.extra, lineterminator="\r\n", restval=""
            )
            writer.writeheader()
            for line in self.spool:
                writer.writerow(json.loads(line))


def stored_role_ids(user: str) -> list[str]:
    from gateway.oneroster import repository

    return [doc["_id"] for doc in repository.iter_records("roles", {"user.sourcedId": user}, {"_id": 1})]


def pull_to_file_set(
    client: OneRosterRestClient, directory: Path, since: datetime | None = None
) -> dict[str, int]:
    """Writes what the provider holds (or what changed since `since`) as a CSV file set; returns
    the rows per file written. A full pull leaves out records marked tobedeleted (a bulk file has
    none) and writes a file for every collection the provider offers, even with no rows."""
    version = client.config.version
    mode = "delta" if since is not None else "bulk"
    files: dict[str, _SpooledFile] = {}
    not_offered: set[str] = set()
    try:
        for endpoint in ENDPOINTS:
            files[endpoint] = _SpooledFile(directory, endpoint, version)
            if endpoint == "users" and version == "1.2":
                files["roles"] = _SpooledFile(directory, "roles", version)
            try:
                _spool_collection(client, endpoint, since, files)
            except EndpointNotOfferedError:
                not_offered.add(endpoint)
                if endpoint == "users":
                    not_offered.add("roles")
        if not_offered >= set(ENDPOINTS):
            raise ProviderError(
                f"{client.base} offers none of the roster endpoints (404 or 501): "
                f"are the base URL and the OneRoster version ({version}) right?"
            )
        present = {}
        for entity, spooled in files.items():
            # a full pull declares every collection it read, rows or none; a delta only changes
            if entity not in not_offered and (mode == "bulk" or spooled.count):
                spooled.write()
                present[entity] = spooled.count
    finally:  # the spools, also when the provider fails mid-pull
        for spooled in files.values():
            spooled.spool.close()
    with (directory / "manifest.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(["propertyName", "value"])
        writer.writerows(
            [
                ("manifest.version", "1.0"),
                ("oneroster.version", version),
                *((f"file.{e}", mode if e in present else "absent") for e in files),
                ("source.systemName", client.config.name),
                ("source.systemCode", client.config.base_url),
            ]
        )
    return present


def _spool_collection(
    client: OneRosterRestClient, endpoint: str, since: datetime | None, files: dict[str, _SpooledFile]
) -> None:
    """Adds the rows of one endpoint's records (and, for 1.2 users, of their roles) to their files."""
    version = client.config.version
    mode = "delta" if since is not None else "bulk"
    for record in client.collection(endpoint, since):
        if mode == "bulk" and record.get("status") == "tobedeleted":
            continue
        row = row_of(endpoint, record, version)
        if mode == "bulk":
            row["status"], row["dateLastModified"] = "", row.get("dateLastModified", "")
        files[endpoint].add(row)
        if endpoint == "users" and version == "1.2":
            roles = role_rows(record)
            for role in roles:
                if mode == "bulk":
                    role["status"] = ""
                files["roles"].add(role)
            if mode == "delta":
                # roles the user no longer has: a delta must say so
                current = {role["sourcedId"] for role in roles}
                for stale in stored_role_ids(record["sourcedId"]):
                    if stale not in current:
                        files["roles"].add(
                            {
                                "sourcedId": stale,
                                "status": "tobedeleted",
                                "dateLastModified": _text(record.get("dateLastModified")),
                                "userSourcedId": record["sourcedId"],
                            }
                        )


def pull_roster(
    config: ProviderConfig,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
    profile: str | None = None,
    progress=None,
    sleep: Callable[[float], None] = time.sleep,
) -> ImportResult:
    """Pulls the provider's roster (everything, or what changed since `since`) and imports it."""
    client = OneRosterRestClient(config, sleep=sleep)
    try:
        with tempfile.TemporaryDirectory(prefix="kakehashi-oneroster-pull-") as directory:
            pull_to_file_set(client, Path(directory), since)
            return import_roster(Path(directory), dry_run=dry_run, profile=profile, progress=progress)
    finally:
        client.close()
