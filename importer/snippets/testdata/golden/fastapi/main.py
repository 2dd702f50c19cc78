# FastAPI app whose /protected route accepts only Authgear access tokens,
# checked offline against Authgear's JWKS.
# Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
import functools
import json
import os
import urllib.request
from typing import Optional

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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


bearer = HTTPBearer(auto_error=False)


def authgear_claims(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> dict:
    """A dependency: the claims of the request's Authgear access token (sub is
    the user id), or 401. The token must be signed by Authgear (RS256), not
    expired, issued by AUTHGEAR_ENDPOINT for AUTHGEAR_ENDPOINT."""
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if credentials is None:
        raise HTTPException(status_code=401, detail="missing bearer token", headers=challenge)
    token = credentials.credentials
    try:
        key = authgear_jwks_client().get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=AUTHGEAR_ENDPOINT,
            issuer=AUTHGEAR_ENDPOINT,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="invalid token", headers=challenge)


app = FastAPI()


@app.get("/")
def index():
    return {"message": "public"}


@app.get("/protected")
def protected(claims: dict = Depends(authgear_claims)):
    return {"sub": claims["sub"], "is_verified": claims.get("https://authgear.com/claims/user/is_verified")}


if __name__ == "__main__":
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "3000")))
