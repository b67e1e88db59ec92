from __future__ import annotations

import httpx

from tests.support.stack import auth, new_user


def test_create_then_get(api: httpx.Client) -> None:
    user = new_user()
    created = api.post(
        "/api/v2/configurations", json={"name": "Tech", "tickers": ["aapl"]}, headers=auth(user)
    )
    assert created.status_code == 201, created.text
    fetched = api.get(created.headers["Location"], headers=auth(user))
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
