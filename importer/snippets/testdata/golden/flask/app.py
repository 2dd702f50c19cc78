# Flask API whose /protected route accepts only Authgear access tokens,
# checked offline against Authgear's JWKS.
# Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
import functools
import json
import os
import threading
import time
import urllib.request

import jwt
from flask import Flask, g, jsonify, request

# The Authgear project's endpoint: the access tokens' issuer and audience.
AUTHGEAR_ENDPOINT = "https://myapp.authgear.cloud"


# The key set is kept for 10 minutes, and fetched again for a token whose
# key id is unknown (Authgear rotated its keys) at most once per 30 seconds,
# as jose's createRemoteJWKSet does (cacheMaxAge, cooldownDuration): tokens
# with made-up key ids cannot make the app hammer Authgear.
JWKS_MAX_AGE = 600
JWKS_COOLDOWN = 30


class CooldownJWKClient(jwt.PyJWKClient):
    """PyJWKClient fetches the key set again for every token naming a key
    id it does not have; this one does so only when the last fetch is
    JWKS_COOLDOWN seconds old or more."""

    def __init__(self, uri, cooldown=JWKS_COOLDOWN, max_age=JWKS_MAX_AGE):
        super().__init__(uri, cache_jwk_set=True, lifespan=max_age)
        self._cooldown = cooldown
        self._last_fetch = None
        self._lock = threading.Lock()

    def fetch_data(self):
        data = super().fetch_data()
        self._last_fetch = time.monotonic()  # after a successful fetch
        return data

    def get_signing_key(self, kid):
        with self._lock:
            key = self.match_kid(self.get_signing_keys(), kid)
            if key is None and (self._last_fetch is None or time.monotonic() - self._last_fetch >= self._cooldown):
                key = self.match_kid(self.get_signing_keys(refresh=True), kid)
        if key is None:
            raise jwt.PyJWKClientError("no signing key matches the token's key id")
        return key


@functools.lru_cache(maxsize=1)
def authgear_jwks_client():
    """Reads jwks_uri from the OpenID configuration once; the client then
    caches the key set (see CooldownJWKClient)."""
    url = AUTHGEAR_ENDPOINT + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=10) as resp:
        doc = json.load(resp)
    jwks_uri = str(doc.get("jwks_uri", ""))
    if doc.get("issuer") != AUTHGEAR_ENDPOINT or not jwks_uri.startswith(AUTHGEAR_ENDPOINT + "/"):
        raise ValueError("the OpenID configuration is for another issuer")
    return CooldownJWKClient(jwks_uri)


def verify_authgear_token(token):
    """Returns the claims of an Authgear access token (sub is the user id):
    signed by Authgear (RS256), not expired, issued by AUTHGEAR_ENDPOINT for
    AUTHGEAR_ENDPOINT. Raises jwt.PyJWTError otherwise."""
    key = authgear_jwks_client().get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=AUTHGEAR_ENDPOINT,
        issuer=AUTHGEAR_ENDPOINT,
        options={"require": ["exp", "iss", "aud", "sub"]},
    )


def unauthorized(message):
    resp = jsonify(error=message)
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return resp


def require_authgear(view):
    """Answers 401 unless the request carries "Authorization: Bearer <token>"
    with a valid Authgear access token; its claims go to flask.g.auth."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return unauthorized("missing bearer token")
        try:
            g.auth = verify_authgear_token(token)
        except jwt.PyJWTError:
            return unauthorized("invalid token")
        return view(*args, **kwargs)

    return wrapper


app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(message="public")


@app.get("/protected")
@require_authgear
def protected():
    return jsonify(sub=g.auth["sub"], is_verified=g.auth.get("https://authgear.com/claims/user/is_verified"))


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "3000")))
