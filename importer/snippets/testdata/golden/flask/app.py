# Flask API whose /protected route accepts only Authgear access tokens,
# checked offline against Authgear's JWKS.
# Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
import functools
import json
import os
import urllib.request

import jwt
from flask import Flask, g, jsonify, request

# The Authgear project's endpoint: the access tokens' issuer and audience.
AUTHGEAR_ENDPOINT = "https://myapp.authgear.cloud"


@functools.lru_cache(maxsize=1)
def authgear_jwks_client():
    """Reads jwks_uri from the OpenID configuration once; PyJWKClient then
    caches the key set (and refetches it when a token names an unknown key)."""
    url = AUTHGEAR_ENDPOINT + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=10) as resp:
        doc = json.load(resp)
    jwks_uri = str(doc.get("jwks_uri", ""))
    if doc.get("issuer") != AUTHGEAR_ENDPOINT or not jwks_uri.startswith(AUTHGEAR_ENDPOINT + "/"):
        raise ValueError("the OpenID configuration is for another issuer")
    return jwt.PyJWKClient(jwks_uri)


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
