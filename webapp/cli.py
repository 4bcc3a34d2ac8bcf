"""Flask commands for operators: seed-demo, create-admin, import-plan, export-plan,
compile-report."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from webapp.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
    def seed_demo(if_empty: bool) -> None:
        """Load Region Örebro län's default data, demo users and a demo round."""
        from webapp.services import demo

        if demo.is_seeded():
            if if_empty:
                click.echo("Databasen har redan data; demodata läses inte in igen.")
                return
            raise click.ClickException("Databasen har redan användare. Använd en tom databas.")
        users = demo.seed()
        db.session.commit()
        from flask import current_app

        click.echo(f"Demodata inläst. Logga in på {current_app.config['PUBLIC_URL']} med:")
        for user in users:
            orgs = f" ({', '.join(user.organisations)})" if user.organisations else ""
            click.echo(f"  {user.role.label:<14} {user.email:<24} lösenord: {demo.DEMO_PASSWORD}{orgs}")
        click.echo(f"Staff sign in in two steps: add the secret {demo.DEMO_TOTP_SECRET} to an "
                   "authenticator app, or print the current code with\n"
                   f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{demo.DEMO_TOTP_SECRET}').now())\"")

    @app.cli.command("create-admin")
    @click.option("--email", prompt="E-postadress")
    @click.option("--name", prompt="Namn")
    @click.password_option("--password", prompt="Lösenord")
    def create_admin(email: str, name: str, password: str) -> None:
        """Create an administrator account."""
        from webapp.models import Role
        from webapp.services.demo import create_user

        if len(password) < 12:
            raise click.ClickException("Lösenordet måste ha minst 12 tecken.")
        create_user(email, name, Role.ADMIN, password)
        db.session.commit()
        click.echo(f"Administratören {email} är skapad.")

    @app.cli.command("import-plan")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_plan(path: Path) -> None:
        """Load plans, focus areas, sub-goals, organisations and the default questions from a
        YAML plan file. The whole file is checked first; any error and nothing is written."""
        from webapp.services import ServiceError, plan_import

        try:
            result = plan_import.load_file(path)
        except ServiceError as error:
            db.session.rollback()
            click.echo(error.message, err=True)
            raise click.exceptions.Exit(1) from error
        db.session.commit()
        click.echo(result.summary())
        for notice in result.notices:
            click.echo(f"  Obs: {notice}")

    @app.cli.command("export-plan")
    @click.argument("path", required=False,
                    type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def export_plan(path: Path | None) -> None:
        """Write the current structure as a YAML plan file (to standard output without PATH)."""
        from webapp.services import plan_import

        content = plan_import.export()
        db.session.rollback()
        if path is None:
            click.echo(content, nl=False)
        else:
            path.write_text(content, encoding="utf-8")
            click.echo(f"Planfilen är sparad i {path}.", err=True)

    @app.cli.command("issue-link")
    @click.argument("round_id", type=int)
    @click.argument("email")
    def issue_link(round_id: int, email: str) -> None:
        """Print a new personal link for a contact (when a mail cannot reach them)."""
        from sqlalchemy import select

        from webapp.models import Role, Round, User
        from webapp.services import links

        rnd = db.session.get(Round, round_id)
        user = db.session.scalar(select(User).where(User.email == email.strip().lower(),
                                                    User.role == Role.CONTACT))
        if rnd is None or user is None:
            raise click.ClickException("Omgången eller kontaktpersonen finns inte.")
        token = links.issue(rnd, user)
        db.session.commit()
        click.echo(f"{app.config['PUBLIC_URL'].rstrip('/')}/lank/{token}")

    @app.cli.command("compile-report")
    @click.argument("round_id", type=int)
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dnr", default=None, help="Registry number (diarienummer) for the cover.")
    def compile_report(round_id: int, out: Path, dnr: str | None) -> None:
        """Build the report of a round synchronously with the worker's builder (no job row)."""
        from sqlalchemy import select

        from webapp.models import ReportJob, ReportTemplate, Round
        from worker.report.builder import build_docx
        from worker.report.collect import collect

        rnd = db.session.get(Round, round_id)
        if rnd is None:
            raise click.ClickException(f"Omgång {round_id} finns inte.")
        template = db.session.scalar(select(ReportTemplate).where(ReportTemplate.active))
        job = ReportJob(round=rnd, registry_number=dnr, focus_area_ids="",
                        organisation_ids="", include_provenance=False)  # transient, not saved
        content = build_docx(collect(job), template=template.content if template else None)
        db.session.rollback()
        out.write_bytes(content)
        click.echo(f"{out} ({len(content)} byte)")
