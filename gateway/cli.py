"""The `kakehashi` command: serve the gateway, manage clients, seed demo data, write the OpenAPI document."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from gateway.config import config_from_env, data_dir
from gateway.errors import GatewayError
from gateway.storage.connection import DATABASE_UNAVAILABLE

log = logging.getLogger("kakehashi")

OPENAPI_PATH = Path("openapi") / "openapi.json"
DEMO_CREDENTIALS_FILE = "demo-credentials.json"


@contextlib.contextmanager
def database_uri(*, supervise: bool = False) -> Iterator[str]:
    """MONGODB_URI when set; otherwise the embedded database of KAKEHASHI_DATA_DIR (the running
    one, or one started for the duration of the command)."""
    config = config_from_env()
    if config["MONGODB_URI"]:
        yield config["MONGODB_URI"]
        return
    from gateway.storage.embedded import EmbeddedDatabaseError, embedded_database

    try:
        with embedded_database(data_dir(config), supervise=supervise) as uri:
            yield uri
    except EmbeddedDatabaseError as error:
        raise click.ClickException(str(error)) from None


@contextlib.contextmanager
def app_context(*, supervise: bool = False, config: dict | None = None):
    """An app bound to the configured database (and `config` over the environment's), with indexes
    in place, for one command. A gateway error (bad input, unknown id) raised in the block ends the
    command with its message."""
    from gateway import DOCUMENTS, create_app
    from gateway.policy.audit import drain_journal
    from gateway.storage.indexes import ensure_indexes

    with database_uri(supervise=supervise) as uri:
        app = create_app({**(config or {}), "MONGODB_URI": uri})
        with app.app_context():
            try:
                ensure_indexes(DOCUMENTS)
            except DATABASE_UNAVAILABLE as error:
                raise click.ClickException(
                    f"the database at {uri} is unreachable ({type(error).__name__})"
                ) from None
            try:
                yield app
            except GatewayError as error:
                raise click.ClickException(error.message) from None
            finally:
                drain_journal()  # the audit entries reach the chain before the database stops


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the embedded database is stopped in order."""

    def raise_keyboard_interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)


@click.group()
def main() -> None:
    """Kakehashi: the learning-data gateway between schools, providers and third parties."""
    from gateway.logging import configure_logging

    configure_logging(config_from_env()["KAKEHASHI_LOG_LEVEL"])


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=lambda: int(os.environ.get("PORT", "8080")),
    show_default="8080 or $PORT",
    type=int,
)
@click.option("--threads", default=8, show_default=True, help="Worker threads.")
@click.option(
    "--demo", is_flag=True, help="Load the demo data set in the background if it is not loaded yet."
)
def serve(host: str, port: int, threads: int, demo: bool) -> None:
    """Serve the gateway with a production WSGI server (waitress)."""
    from waitress import serve as waitress_serve

    _stop_on_sigterm()
    try:
        with app_context(supervise=True, config=served_public_url(host, port, os.environ)) as app:
            if demo:
                _start_demo_loading(app)
            base = f"http://{host}:{port}"
            click.echo(f"Kakehashi gateway listening on {base}")
            click.echo(f"  API docs      {base}/docs")
            click.echo(f"  xAPI LRS      {base}/xapi  (about: {base}/xapi/about)")
            click.echo(f"  health        {base}/healthz  {base}/readyz")
            credentials = data_dir(app.config) / DEMO_CREDENTIALS_FILE
            if credentials.exists():
                click.echo(f"  demo clients  {credentials}")
                for client in json.loads(credentials.read_text()):
                    secret = (
                        client.get("client_secret")
                        or f"public, PKCE S256, redirect {client.get('redirect_uri')}"
                    )
                    click.echo(f"    {client['name']:<28} {client['client_id']} / {secret}")
                _echo_demo_logins(base)
                _echo_demo_reports(base)
            click.echo("Press Ctrl-C to stop.", err=True)
            sys.stdout.flush()
            waitress_serve(app, host=host, port=port, threads=threads, ident="kakehashi", _quiet=True)
    except KeyboardInterrupt:
        pass
    click.echo("Kakehashi gateway stopped.", err=True)


def served_public_url(host: str, port: int, environ) -> dict:
    """Without KAKEHASHI_PUBLIC_URL in the environment, the gateway's public URL is the address it
    serves (loopback when it listens on every interface), so links, the OAuth2 issuer and the xAPI
    authority follow `--port`/$PORT."""
    if environ.get("KAKEHASHI_PUBLIC_URL"):
        return {}
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return {"KAKEHASHI_PUBLIC_URL": f"http://{shown}:{port}"}


def _echo_demo_logins(base: str) -> None:
    from gateway.demo.roster import build_roster
    from gateway.demo.seed import demo_logins

    click.echo(
        f"  OAuth2        {base}/.well-known/oauth-authorization-server  (login at {base}/oauth/authorize)"
    )
    for login in demo_logins(build_roster()):
        who = login["role"] + ("" if login["for"] == login["username"] else f" of {login['for']}")
        click.echo(f"    {who:<28} {login['username']} / {login['password']}")


def _echo_demo_reports(base: str) -> None:
    from gateway.demo.roster import build_roster
    from gateway.demo.seed import demo_reports

    click.echo(
        "  reports       monthly class report (scope reports.read; details: …/monthly/students?month=)"
    )
    for report in demo_reports(build_roster()):
        click.echo(f"    {report['title']:<18} {base}{report['path']}  ({report['client_id']})")


def _start_demo_loading(app) -> None:
    """Demo clients now (their credentials are printed at once), demo data in the background, so
    the gateway answers while the data loads."""
    from gateway.demo.seed import register_demo_clients, seed_demo

    credentials = register_demo_clients()
    (data_dir(app.config) / DEMO_CREDENTIALS_FILE).write_text(
        json.dumps(credentials, ensure_ascii=False, indent=2)
    )

    def load() -> None:
        with app.app_context():
            try:
                summary = seed_demo(app)
            except Exception:
                log.exception("loading the demo data failed")
                return
        for line in summary.lines():
            log.info(line)
        click.echo("Demo data ready." if not summary.already_loaded else summary.lines()[0], err=True)

    click.echo("Loading the demo data in the background (about a minute the first time)...", err=True)
    threading.Thread(target=load, name="demo-seed", daemon=True).start()


@main.group()
def clients() -> None:
    """API clients (school systems, providers, third parties, student apps)."""


@clients.command("create")
@click.option("--name", required=True, help="Display name of the client.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["school", "board", "provider", "third_party", "student_app"]),
)
@click.option(
    "--scope",
    "scope",
    required=True,
    help='Space-separated scopes, e.g. "statements/write statements/read".',
)
@click.option("--organisation", default=None, help="sourcedId of the organisation the client acts for.")
@click.option(
    "--grant",
    "grants",
    multiple=True,
    type=click.Choice(["client_credentials", "authorization_code", "refresh_token"]),
    help="OAuth2 grant the client may use (repeatable; default client_credentials).",
)
@click.option(
    "--redirect-uri", "redirect_uris", multiple=True, help="Redirect URI for authorization_code (repeatable)."
)
@click.option(
    "--purpose", default=None, help="What the data is for, shown on the consent page (authorization_code)."
)
@click.option(
    "--public", is_flag=True, help="A public client (student app): no secret, PKCE only, authorization_code."
)
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as JSON.")
def clients_create(
    name: str,
    role: str,
    scope: str,
    organisation: str | None,
    grants: tuple[str, ...],
    redirect_uris: tuple[str, ...],
    purpose: str | None,
    public: bool,
    as_json: bool,
) -> None:
    """Register a client and print its credentials once (the secret is stored hashed)."""
    from gateway.auth.service import register_client

    with app_context():
        issued = register_client(
            name,
            role,
            scope,
            organisation=organisation,
            grant_types=grants or ("client_credentials",),
            redirect_uris=redirect_uris,
            purpose=purpose,
            public=public,
        )
    if as_json:
        click.echo(json.dumps({"client_id": issued.client_id, "client_secret": issued.client_secret}))
    elif issued.client_secret is None:
        click.echo(f"client_id:     {issued.client_id}\n(public client: no secret; use PKCE with S256)")
    else:
        click.echo(f"client_id:     {issued.client_id}\nclient_secret: {issued.client_secret}")
        click.echo("Store the secret now: it is not shown again.", err=True)


@clients.command("profile-mode")
@click.argument("client_id")
@click.argument("mode", type=click.Choice(["lenient", "strict"]))
def clients_profile_mode(client_id: str, mode: str) -> None:
    """How the LRS checks the client's statements that declare the Kakehashi xAPI profile: strict
    rejects (400) one that breaks its statement template, lenient (the default) stores it and warns."""
    from gateway.auth.service import set_profile_mode

    with app_context():
        set_profile_mode(client_id, mode)
    click.echo(f"{client_id}: profile mode {mode}")


@main.group()
def users() -> None:
    """Roster users logging in at the OAuth2 authorization endpoint (students, guardians)."""


@users.command("set-password")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="KAKEHASHI_USER_PASSWORD",
    show_envvar=True,
    help="The new password (prompted when not given).",
)
def users_set_password(username: str, password: str) -> None:
    """Set the gateway-local password (scrypt-hashed) of a roster student or guardian.

    A deployment with its own SSO (学習eポータル / OIDC) replaces this login."""
    from gateway.auth.owners import set_password

    with app_context():
        user = set_password(username, password)
    click.echo(f"Password set for {username} ({user['_id']}).")


@main.group()
def tokens() -> None:
    """OAuth2 tokens and authorization codes."""


@tokens.command("purge")
@click.option(
    "--grace-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Keep tokens and codes this many days after they expired or were revoked.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be removed; remove nothing.")
def tokens_purge(grace_days: int, dry_run: bool) -> None:
    """Remove access/refresh tokens and authorization codes expired or revoked longer than the
    grace period (run daily from cron). A token family (one consent to one client) keeps its dead
    tokens while it has a live one, so refresh-token replay detection keeps working."""
    from datetime import timedelta

    from gateway.auth.tokens import purge_dead_tokens

    with app_context():
        report = purge_dead_tokens(timedelta(days=grace_days), dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(
        f"{verb} {report.tokens} token(s) ({report.refresh_tokens} with a refresh token) and "
        f"{report.codes} authorization code(s); kept {report.kept_for_replay_detection} of families "
        "that still have a live token (replay detection)."
    )


@main.group()
def units() -> None:
    """Curriculum units (MEXT 学習指導要領コード tables)."""


@units.command("load")
@click.option(
    "--table",
    "tables",
    multiple=True,
    type=click.Choice(["82V11", "83V11", "84V10"]),
    help="Load only this table (repeatable); default all three.",
)
def units_load(tables: tuple[str, ...]) -> None:
    """Load the code tables of mappings/course-of-study/ into the database (idempotent)."""
    from gateway.units.service import load_tables
    from gateway.units.tables import TableError

    with app_context():
        try:
            report = load_tables(list(tables) or None)
        except TableError as error:
            raise click.ClickException(str(error)) from None
    for name, counts in report.items():
        click.echo(
            f"{name}: {counts['rows']} rows read, {counts['inserted']} inserted, "
            f"{counts['updated']} updated, {counts['removed']} removed, {counts['stored']} stored"
        )


@units.command("check")
def units_check() -> None:
    """Validate the crosswalks and the prerequisite graph against the code tables (no database)."""
    from gateway.units.prerequisites import PrerequisiteGraphError
    from gateway.units.service import crosswalks, prerequisite_graph

    failed = False
    for name, walk in crosswalks().items():
        codes = {code for mapped in walk.mapping.values() for code in mapped}
        click.echo(f"crosswalk {name}: {len(walk.mapping)} source ids mapped to {len(codes)} codes")
        for problem in walk.problems:
            failed = True
            click.echo(f"  {problem}")
    try:
        graph = prerequisite_graph()
    except PrerequisiteGraphError as error:
        failed = True
        for problem in error.problems:
            click.echo(f"prerequisites: {problem}")
    else:
        edges = sum(len(f) for f in graph.foundations.values())
        click.echo(f"prerequisites: {edges} edges over {len(graph.codes())} units, acyclic")
    if failed:
        raise SystemExit(1)


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
@click.option("--force", is_flag=True, help="Load the data set even if this version is already loaded.")
def demo_seed(force: bool) -> None:
    """Load the deterministic demo data set (schools, juku, roster, three months of statements)."""
    from gateway.demo.seed import register_demo_clients, seed_demo

    with app_context() as app:
        credentials = register_demo_clients()
        summary = seed_demo(app, force=force)
        path = data_dir(app.config) / DEMO_CREDENTIALS_FILE
        path.write_text(json.dumps(credentials, ensure_ascii=False, indent=2))
    for line in summary.lines():
        click.echo(line)
    click.echo(f"Demo credentials written to {path}")


@main.group()
def roster() -> None:
    """OneRoster rosters: import CSV file sets (1.1, 1.2, Japan Profile), pull from a REST provider."""


class _Progress:
    """Click progress bars for an import's `progress(kind, amount)` reports: each kind in `bars`
    starts a new bar with that label (its amount is the bar's length); other kinds advance it."""

    def __init__(self, enabled: bool, bars: dict[str, str]):
        self.enabled, self.bars, self.bar = enabled, bars, None

    def __call__(self, kind: str, amount: int) -> None:
        if not self.enabled:
            return
        if kind in self.bars:
            self.close()
            self.bar = click.progressbar(length=max(amount, 1), label=self.bars[kind], file=sys.stderr)
            self.bar.__enter__()
        elif self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _print_import_result(result, as_json: bool, language: str, report: Path | None) -> None:
    document = result.to_json()
    if report:
        report.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if list(result.issues):
        click.echo(result.issues_table(language))
        click.echo()
    if result.counts:
        click.echo(result.counts_table())
    if result.rejected:
        click.echo(
            f"Rejected: {result.issues.errors} error(s), nothing was changed. "
            f"取り込みを中止しました（エラー {result.issues.errors} 件、変更なし）。",
            err=True,
        )
    elif result.dry_run:
        click.echo(f"Dry run: valid ({result.issues.warnings} warning(s)); nothing was changed.", err=True)
    else:
        click.echo(f"Imported batch {result.batch} from {result.source!r}.", err=True)


@roster.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only: report what would change, change nothing.")
@click.option(
    "--profile",
    type=click.Choice(["jp"]),
    default=None,
    help="Apply the Japan Profile rules even if the manifest does not name the profile.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result and the report as JSON.")
@click.option(
    "--report", type=click.Path(path_type=Path), default=None, help="Also write the JSON report here."
)
@click.option("--lang", type=click.Choice(["both", "ja", "en"]), default="both", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def roster_import(
    path: Path,
    dry_run: bool,
    profile: str | None,
    as_json: bool,
    report: Path | None,
    lang: str,
    no_progress: bool,
) -> None:
    """Import a OneRoster CSV file set (a zip or a directory with manifest.csv). Exits 1 when rejected."""
    from adapters.oneroster.importer import import_roster

    progress = _Progress(not no_progress and not as_json, {"total": "validating", "writes": "writing   "})
    with app_context():
        try:
            result = import_roster(path, dry_run=dry_run, profile=profile, progress=progress)
        finally:
            progress.close()
    _print_import_result(result, as_json, lang, report)
    if result.rejected:
        sys.exit(1)


@roster.command("homepage")
@click.argument("org")
@click.argument("url", required=False)
@click.option("--default", "reset", is_flag=True, help="Forget the configured homePage: back to the default.")
def roster_homepage(org: str, url: str | None, reset: bool) -> None:
    """Show or set the xAPI account homePage of an org's users (ORG: the org's sourcedId).

    Default: https://id.<org identifier in lower case>.kakehashi.example (gateway.oneroster.identity)."""
    from gateway.oneroster import identity

    if url and reset:
        raise click.UsageError("give a URL or --default, not both")
    with app_context():
        home_page = (
            identity.set_home_page(org, None if reset else url) if url or reset else identity.home_page(org)
        )
    click.echo(home_page)


@roster.command("pull")
@click.option("--base-url", required=True, help="The provider's base URL (the OneRoster path is added).")
@click.option("--token-url", required=True, help="Its OAuth2 token endpoint.")
@click.option("--client-id", required=True)
@click.option("--client-secret", required=True, envvar="KAKEHASHI_ONEROSTER_CLIENT_SECRET", show_envvar=True)
@click.option(
    "--oneroster-version", "version", type=click.Choice(["1.1", "1.2"]), default="1.2", show_default=True
)
@click.option("--scope", default=None, help="Scopes to ask for (space-separated).")
@click.option("--name", default=None, help="The import source name (default: the base URL).")
@click.option("--since", type=click.DateTime(), default=None, help="Delta: only what changed since (UTC).")
@click.option("--delta", is_flag=True, help="Delta since the newest record already pulled from this source.")
@click.option("--dry-run", is_flag=True)
@click.option("--profile", type=click.Choice(["jp"]), default=None)
@click.option("--json", "as_json", is_flag=True)
def roster_pull(
    base_url,
    token_url,
    client_id,
    client_secret,
    version,
    scope,
    name,
    since,
    delta,
    dry_run,
    profile,
    as_json,
):
    """Pull a roster from a OneRoster 1.1/1.2 REST provider and import it. Exits 1 when rejected."""
    from datetime import UTC

    from adapters.oneroster.rest_client import ProviderConfig, ProviderError, pull_roster
    from gateway.oneroster import repository

    config = ProviderConfig(base_url, token_url, client_id, client_secret, version, scope, name or base_url)
    with app_context():
        if delta and since is None:
            since = repository.latest_modification("users", config.name)
        elif since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        try:
            result = pull_roster(config, since=since, dry_run=dry_run, profile=profile)
        except ProviderError as error:
            raise click.ClickException(str(error)) from None
    _print_import_result(result, as_json, "both", None)
    if result.rejected:
        sys.exit(1)


@main.group()
def audit() -> None:
    """The release audit log."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def audit_verify(as_json: bool) -> None:
    """Recompute every hash and link of the audit chain; exit 1 naming the first bad entry."""
    from gateway.policy.audit import verify_chain_report

    with app_context():
        report = verify_chain_report()
    if as_json:
        click.echo(json.dumps(report.__dict__))
    elif report.ok:
        click.echo(f"audit chain ok: {report.checked} entries, head {report.head}")
    else:
        click.echo(
            f"audit chain BROKEN at entry {report.first_bad} (seq {report.first_bad_seq}): {report.reason}; "
            f"{report.checked} entries before it verify"
        )
    if not report.ok:
        raise SystemExit(1)


@main.group()
def consents() -> None:
    """Consents of students and guardians."""


@consents.command("list")
@click.option("--subject", default=None, help="Student sourcedId.")
@click.option("--recipient", default=None, help="Recipient client id.")
@click.option("--status", type=click.Choice(["active", "pending", "expired", "revoked"]), default=None)
def consents_list(subject: str | None, recipient: str | None, status: str | None) -> None:
    """Print consent receipts (JSON lines), newest first."""
    from gateway.policy.consent import list_consents

    with app_context():
        _, receipts = list_consents(
            subject=subject, recipient_client_id=recipient, status=status, limit=100_000
        )
    for receipt in receipts:
        click.echo(json.dumps(receipt, ensure_ascii=False))


@consents.command("revoke")
@click.argument("consent_id")
@click.option("--by", required=True, help="Who revokes (sourcedId, or e.g. admin:NAME for an operator).")
def consents_revoke(consent_id: str, by: str) -> None:
    """Revoke a consent now."""
    from gateway.policy.consent import revoke_consent

    with app_context():
        receipt = revoke_consent(consent_id, by=by)
    click.echo(f"revoked {receipt['kakehashi']['id']} at {receipt['kakehashi']['revoked_at']}")


@main.group()
def openapi() -> None:
    """The OpenAPI document."""


def generate_openapi() -> dict:
    """The OpenAPI document of the app. It needs no database: the client created here never connects."""
    from gateway import create_app

    app = create_app({"MONGODB_URI": "mongodb://127.0.0.1:9/?directConnection=true", "SECRET_KEY": "openapi"})
    with app.app_context():
        return app.extensions["kakehashi.api"].spec.to_dict()


def render_openapi(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@openapi.command("write")
@click.option("--output", type=click.Path(path_type=Path), default=OPENAPI_PATH, show_default=True)
def openapi_write(output: Path) -> None:
    """Write the OpenAPI document the app generates."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_openapi(generate_openapi()))
    click.echo(f"wrote {output}")


@main.group()
def exams() -> None:
    """Exam results: import OneRoster Gradebook CSV and YAML-described exam CSVs as xAPI statements."""


@exams.command("import")
@click.option(
    "--format",
    "format_name",
    required=True,
    help="oneroster-gradebook (a directory of Gradebook CSV files) or a mapping in mappings/exam-formats/.",
)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only: report what would be stored, store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result and the report as JSON.")
@click.option("--lang", type=click.Choice(["both", "ja", "en"]), default="both", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def exams_import(
    format_name: str, path: Path, dry_run: bool, as_json: bool, lang: str, no_progress: bool
) -> None:
    """Import exam results (a file or a directory of files); all or nothing. Exits 1 when rejected."""
    from adapters.exams.importer import import_exams

    progress = _Progress(not no_progress and not as_json, {"total": "importing"})
    with app_context():
        try:
            result = import_exams(path, format_name, dry_run=dry_run, progress=progress)
        finally:
            progress.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        if result.issues:
            click.echo(result.issues_table(lang))
            click.echo()
        if result.counts:
            click.echo(result.counts_table())
        if result.rejected:
            click.echo(
                f"Rejected: {len(result.issues)} error(s), nothing was stored. "
                f"取り込みを中止しました（エラー {len(result.issues)} 件、保存なし）。",
                err=True,
            )
        elif dry_run:
            click.echo("Dry run: valid; nothing was stored.", err=True)
        else:
            click.echo(
                f"Imported {result.counts.get('new', 0)} new statement(s) from {str(path)!r}.", err=True
            )
    if result.rejected:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
