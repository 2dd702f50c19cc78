// Next.js middleware: /protected accepts only Authgear access tokens,
// checked offline against Authgear's JWKS.
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
import { NextResponse } from "next/server";
import { createRemoteJWKSet, jwtVerify } from "jose";

// The Authgear project's endpoint: the access tokens' issuer and audience.
const AUTHGEAR_ENDPOINT = "https://myapp.authgear.cloud";

// jwks_uri is read from the OpenID configuration once per middleware
// instance; jose's remote JWK set then caches the keys.
let jwksPromise;
function authgearJWKS() {
  jwksPromise ??= (async () => {
    const res = await fetch(`${AUTHGEAR_ENDPOINT}/.well-known/openid-configuration`, { cache: "no-store" });
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

function unauthorized(error) {
  return NextResponse.json({ error }, { status: 401, headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' } });
}

export async function middleware(request) {
  const [scheme, token] = (request.headers.get("authorization") ?? "").split(" ");
  if (scheme !== "Bearer" || !token) return unauthorized("missing bearer token");
  let jwks;
  try {
    jwks = await authgearJWKS();
  } catch (err) {
    console.error("authgear:", err.message);
    return NextResponse.json({ error: "cannot reach Authgear" }, { status: 503 });
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(token, jwks, {
      algorithms: ["RS256"],
      issuer: AUTHGEAR_ENDPOINT,
      audience: AUTHGEAR_ENDPOINT,
      requiredClaims: ["exp", "sub"],
    }));
  } catch {
    return unauthorized("invalid token");
  }
  // Route handlers read the user id from this header; one sent by the
  // client is replaced.
  const headers = new Headers(request.headers);
  headers.set("x-authgear-user-id", payload.sub);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/protected/:path*"] };
