import { headers } from "next/headers";

export const dynamic = "force-dynamic";

// Reached only through middleware.js, which checked the access token.
export async function GET() {
  const h = await headers();
  return Response.json({ sub: h.get("x-authgear-user-id") });
}
