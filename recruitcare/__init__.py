"""RecruitCare: every candidate hears back, with feedback that helps and is safe to share."""

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None, instance_path=None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )

    from recruitcare import config

    config.configure(app, test_config)

    from recruitcare import access  # noqa: F401  (registers the user loader)
    from recruitcare.auth import passwords
    from recruitcare.extensions import csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    passwords.init_app(app)

    from recruitcare import ids

    # Before any route is added: ids in URLs are ones the database can hold.
    app.url_map.converters["int"] = ids.IdConverter

    from recruitcare import (
        admin,
        auth,
        candidate_requests,
        candidates,
        closure,
        feedback,
        home,
        insights,
        pipeline,
        portal,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(pipeline.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(closure.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(candidates.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(candidate_requests.bp)
    app.register_blueprint(insights.bp)

    from recruitcare import cli, errors, logs, security, templating

    logs.register(app)
    security.register(app)
    errors.register(app)
    templating.register(app)
    cli.register(app)
    return app
