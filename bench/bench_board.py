"""Requisition board and list page time at 100 and at 20,000 applications, same run.

Prints the mean time per request for each page and size, the ratio large/small (a page whose
cost does not grow with the pipeline stays close to 1), and the queries per request.

    python bench/bench_board.py
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recruitcare import create_app  # noqa: E402
from recruitcare.domain.enums import Role  # noqa: E402
from recruitcare.extensions import db  # noqa: E402
from tests.factories import bulk_applications, login, make_requisition, make_user  # noqa: E402

SIZES = (100, 20_000)
PAGES = {"board": "/requisitions/{id}", "list": "/requisitions/{id}/applications?sort=name"}
REQUESTS = 30


def _measure(size: int, workdir: Path) -> dict:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / f'bench{size}.sqlite'}",
            "SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 64,
            "PASSWORD_HASH_PARALLELISM": 1,
        },
        instance_path=str(workdir / "instance"),
    )
    with app.app_context():
        db.create_all()
        owner = make_user(Role.RECRUITER, email=f"bench{size}@example.com")
        requisition = make_requisition(owner)
        bulk_applications(requisition, size, stage="spread")
        db.session.commit()
        requisition_id = requisition.id
        engine = db.engine
    client = app.test_client()
    login(client, f"bench{size}@example.com")
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(1))
    result = {}
    for name, path in PAGES.items():
        url = path.format(id=requisition_id)
        client.get(url)  # warm up
        statements.clear()
        start = time.perf_counter()
        for _ in range(REQUESTS):
            assert client.get(url).status_code == 200
        elapsed = time.perf_counter() - start
        result[name] = {
            "ms_per_request": round(1000 * elapsed / REQUESTS, 2),
            "queries_per_request": len(statements) // REQUESTS,
        }
    return result


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        by_size = {size: _measure(size, Path(tmp)) for size in SIZES}
    small, large = by_size[SIZES[0]], by_size[SIZES[1]]
    return {
        "sizes": list(SIZES),
        "pages": {
            name: {
                f"ms_at_{SIZES[0]}": small[name]["ms_per_request"],
                f"ms_at_{SIZES[1]}": large[name]["ms_per_request"],
                "ratio_large_to_small": round(
                    large[name]["ms_per_request"] / small[name]["ms_per_request"], 2
                ),
                f"queries_at_{SIZES[0]}": small[name]["queries_per_request"],
                f"queries_at_{SIZES[1]}": large[name]["queries_per_request"],
            }
            for name in PAGES
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
