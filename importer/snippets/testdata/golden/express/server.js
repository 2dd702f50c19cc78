// Express API whose /protected route accepts only Authgear access tokens,
// checked offline against Authgear's JWKS.
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
import express from "express";
import { createRemoteJWKSet, jwtVerify } from "jose";

// The Authgear project's endpoint: the access tokens' issuer and audience.
const AUTHGEAR_ENDPOINT = "https://myapp.authgear.cloud";

// jwks_uri is read from the OpenID configuration once; jose's remote JWK set
// then caches the keys (and refetches them when a token names an unknown key).
let jwksPromise;
function authgearJWKS() {
  jwksPromise ??= (async () => {
    const res = await fetch(`${AUTHGEAR_ENDPOINT}/.well-known/openid-configuration`);
    if (!res.ok) throw new Error(`OpenID configuration: HTTP ${res.status}`);
    const doc = await res.json();
    if (doc.issuer !== AUTHGEAR_ENDPOINT || !String(doc.jwks_uri).startsWith(`${AUTHGEAR_ENDPOINT}/`)) {
      throw new Error("the OpenID configuration is for another issuer");
    }
    return createRemoteJWKSet(new URL(doc.jwks_uri));
  })().catch((err) => {
    jwksPromise = undefined; // try again on the next request
    throw err;
  });
  return jwksPromise;
}

// requireAuthgear answers 401 unless the request carries
// "Authorization: Bearer <token>" with a token signed by Authgear (RS256),
// not expired, issued by AUTHGEAR_ENDPOINT for AUTHGEAR_ENDPOINT. The
// token's claims (sub is the user id) go to req.auth.
export async function requireAuthgear(req, res, next) {
  const [scheme, token] = (req.headers.authorization ?? "").split(" ");
  if (scheme !== "Bearer" || !token) {
    return res.status(401).set("WWW-Authenticate", 'Bearer error="invalid_token"').json({ error: "missing bearer token" });
  }
  let jwks;
  try {
    jwks = await authgearJWKS();
  } catch (err) {
    console.error("authgear:", err.message);
    return res.status(503).json({ error: "cannot reach Authgear" });
  }
  try {
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: ["RS256"],
      issuer: AUTHGEAR_ENDPOINT,
      audience: AUTHGEAR_ENDPOINT,
      requiredClaims: ["exp", "sub"],
    });
    req.auth = payload;
    return next();
  } catch {
    return res.status(401).set("WWW-Authenticate", 'Bearer error="invalid_token"').json({ error: "invalid token" });
  }
}

const app = express();
app.get("/", (req, res) => res.json({ message: "public" }));
app.get("/protected", requireAuthgear, (req, res) => {
  res.json({ sub: req.auth.sub, is_verified: req.auth["https://authgear.com/claims/user/is_verified"] });
});

const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || 3000);
app.listen(port, host, () => console.log(`listening on http://${host}:${port}`));
