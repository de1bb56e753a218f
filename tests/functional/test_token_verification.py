"""Bearer tokens: every bad token is a 401 problem (403 for a role the route refuses)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.tokens import TokenVerifier
from chalicelib.domain.errors import UnauthorizedError
from chalicelib.domain.identity import Role
from tests.stack import Stack, json_body
from tools.local_issuer import AUDIENCE, ISSUER, KEY_ID

TAX_CODE = "6002837411"
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "exporter-1",
        "iat": now,
        "exp": now + 600,
        "custom:role": "exporter",
        "custom:tax_code": TAX_CODE,
    }
    return {name: value for name, value in (base | changes).items() if value is not None}


def signed(stack: Stack, body: dict[str, Any], key: Any = None, kid: Any = KEY_ID) -> str:
    issuer_key = key or (stack.issuer.folder / "issuer-key.pem").read_bytes()
    return jwt.encode(body, issuer_key, algorithm="RS256", headers={"kid": kid})


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def unsigned(body: dict[str, Any]) -> str:
    return f"{_segment({'alg': 'none', 'typ': 'JWT', 'kid': KEY_ID})}.{_segment(body)}."


def with_header(stack: Stack, header: dict[str, Any], body: dict[str, Any]) -> str:
    """A token signed by the issuer's key with a header PyJWT would not write."""
    signing_input = f"{_segment(header)}.{_segment(body)}"
    algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
    key = algorithm.prepare_key((stack.issuer.folder / "issuer-key.pem").read_bytes())
    signature = base64.urlsafe_b64encode(algorithm.sign(signing_input.encode(), key))
    return f"{signing_input}.{signature.rstrip(b'=').decode()}"


def read_profile(stack: Stack, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return stack.http.get(f"/traders/{TAX_CODE}", headers=headers)


def _hours_ago(hours: int) -> int:
    return int(time.time()) - hours * 3600


BAD_TOKENS: dict[str, Callable[[Stack], str]] = {
    "expired": lambda s: signed(s, claims(iat=_hours_ago(2), exp=_hours_ago(1))),
    "wrong issuer": lambda s: signed(s, claims(iss="https://cognito-idp.example/other-pool")),
    "wrong audience": lambda s: signed(s, claims(aud="another-province-client")),
    "another key": lambda s: signed(s, claims(), key=OTHER_KEY),
    "alg none": lambda s: unsigned(claims()),
    "no role": lambda s: signed(s, claims(**{"custom:role": None})),
    "unknown role": lambda s: signed(s, claims(**{"custom:role": "superuser"})),
    "exporter without tax code": lambda s: signed(s, claims(**{"custom:tax_code": None})),
    "tax code not a string": lambda s: signed(s, claims(**{"custom:tax_code": [TAX_CODE]})),
    "specialist without department": lambda s: signed(s, claims(**{"custom:role": "specialist"})),
    "no expiry": lambda s: signed(s, claims(exp=None)),
    "unknown key id": lambda s: signed(s, claims(), kid="retired-2"),
    "key id not a string": lambda s: with_header(
        s, {"alg": "RS256", "typ": "JWT", "kid": [KEY_ID]}, claims()
    ),
    "not a token": lambda s: "not.a.token",
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_bad_token_is_refused_with_a_401_problem(stack: Stack, case: str) -> None:
    token = BAD_TOKENS[case](stack)

    response = read_profile(stack, token)

    assert response.status_code == 401, (case, response.body)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json_body(response)["status"] == 401


def test_a_valid_token_of_a_role_the_route_refuses_is_a_403_problem(stack: Stack) -> None:
    token = signed(stack, claims())

    response = stack.http.get(
        "/operations/payments/suspense?department=HA-NOI",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 403, response.body
    assert json_body(response)["status"] == 403


def test_the_well_formed_token_of_these_cases_is_accepted(stack: Stack) -> None:
    # The cases above differ from this token in one claim each, so each refusal is that claim's.
    response = read_profile(stack, signed(stack, claims()))

    assert response.status_code == 404  # authenticated: this trader has no profile yet


# ---- the JWKS over HTTP, as Cognito serves it --------------------------------------------


class _JwksServer:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.requests = 0
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.requests += 1
                body = json.dumps(served.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    server = _JwksServer({"keys": [public | {"kid": "pool-1", "use": "sig", "alg": "RS256"}]})
    server.key = key  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    thread.join(timeout=5)


def test_a_token_is_verified_against_the_jwks_fetched_over_http(jwks_server) -> None:
    verifier = TokenVerifier(jwks_server.url, ISSUER, AUDIENCE)
    token = jwt.encode(claims(), jwks_server.key, algorithm="RS256", headers={"kid": "pool-1"})

    first = verifier.verify(token)
    again = verifier.verify(token)

    assert (first.role, first.tax_code) == (Role.EXPORTER, TAX_CODE)
    assert again == first
    assert jwks_server.requests == 1  # the key set is cached


@pytest.mark.parametrize("kid", ["pool-2", "pool-1"])
def test_a_token_the_served_jwks_does_not_verify_is_unauthorised(jwks_server, kid) -> None:
    verifier = TokenVerifier(jwks_server.url, ISSUER, AUDIENCE)
    token = jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": kid})

    with pytest.raises(UnauthorizedError):
        verifier.verify(token)


def test_an_unreachable_jwks_is_unauthorised_not_an_internal_error() -> None:
    verifier = TokenVerifier("http://127.0.0.1:9/.well-known/jwks.json", ISSUER, AUDIENCE)
    token = jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "pool-1"})

    with pytest.raises(UnauthorizedError):
        verifier.verify(token)


@pytest.mark.parametrize(
    "url", ["http://cognito-idp.example.com/jwks.json", "ftp://127.0.0.1/jwks.json", "jwks.json"]
)
def test_a_jwks_url_that_is_neither_https_nor_loopback_nor_a_file_is_refused(url) -> None:
    with pytest.raises(ValueError, match="https"):
        TokenVerifier(url, ISSUER, AUDIENCE)
