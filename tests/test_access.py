"""Who sees what: anonymous visitors sign in first, other teams' objects are 404."""

import pytest
from werkzeug.exceptions import NotFound

from recruitcare.access import get_application_or_404, get_requisition_or_404
from recruitcare.domain.enums import Role
from recruitcare.extensions import db
from tests.factories import login, make_application, make_requisition, make_user


@pytest.fixture
def teams(app):
    """Two teams: each a recruiter and a hiring manager on one requisition."""
    with app.app_context():
        people = {
            "rec_a": make_user(Role.RECRUITER),
            "hm_a": make_user(Role.HIRING_MANAGER),
            "rec_b": make_user(Role.RECRUITER),
            "hm_b": make_user(Role.HIRING_MANAGER),
            "admin": make_user(Role.ADMIN),
        }
        req_a = make_requisition(people["rec_a"], members=[people["hm_a"]], title="Alpha job")
        req_b = make_requisition(people["rec_b"], members=[people["hm_b"]], title="Beta job")
        app_a, app_b = make_application(req_a), make_application(req_b)
        db.session.commit()
        return {
            **{k: v.id for k, v in people.items()},
            "req_a": req_a.id,
            "req_b": req_b.id,
            "app_a": app_a.id,
            "app_b": app_b.id,
        }


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("rec_a", {"req_a"}),
        ("hm_a", {"req_a"}),
        ("rec_b", {"req_b"}),
        ("admin", {"req_a", "req_b"}),
    ],
)
def test_scoped_loading_is_404_outside_the_visible_set(app, teams, who, visible):
    from recruitcare.models import User

    with app.app_context():
        user = db.session.get(User, teams[who])
        for key in ("req_a", "req_b"):
            app_key = key.replace("req", "app")
            if key in visible:
                assert get_requisition_or_404(user, teams[key]).id == teams[key]
                assert get_application_or_404(user, teams[app_key]).id == teams[app_key]
            else:
                with pytest.raises(NotFound):
                    get_requisition_or_404(user, teams[key])
                with pytest.raises(NotFound):
                    get_application_or_404(user, teams[app_key])
        with pytest.raises(NotFound):
            get_requisition_or_404(user, 999_999)


def test_hiring_manager_not_on_a_team_sees_nothing(app, teams):
    from recruitcare.models import User

    with app.app_context():
        outsider = make_user(Role.HIRING_MANAGER)
        db.session.commit()
        with pytest.raises(NotFound):
            get_requisition_or_404(db.session.get(User, outsider.id), teams["req_a"])


def test_home_lists_only_visible_requisitions(app, client, teams):
    from recruitcare.models import User

    with app.app_context():
        email = db.session.get(User, teams["hm_a"]).email
    login(client, email)
    page = client.get("/").get_data(as_text=True)
    assert "Alpha job" in page
    assert "Beta job" not in page


def test_non_admins_get_403_on_admin_pages(app, client, teams):
    from recruitcare.models import User

    with app.app_context():
        email = db.session.get(User, teams["rec_a"]).email
    login(client, email)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{teams['hm_a']}/deactivate").status_code == 403
