<?php
// Laravel middleware: only requests with a valid Authgear access token pass;
// the claims are in $request->attributes->get('authgear') (sub is the user id).
// Copy src/AuthgearJwt.php and src/JwksCache.php into the app and add "Authgear\\": "src/" to
// composer.json's autoload psr-4, then: composer require firebase/php-jwt
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.

declare(strict_types=1);

namespace App\Http\Middleware;

use Authgear\AuthgearJwt;
use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;
use Throwable;

class AuthgearAuthenticate
{
    public function handle(Request $request, Closure $next): Response
    {
        $challenge = ['WWW-Authenticate' => 'Bearer error="invalid_token"'];
        $token = $request->bearerToken();
        if ($token === null || $token === '') {
            return response()->json(['error' => 'missing bearer token'], 401, $challenge);
        }
        try {
            $claims = (new AuthgearJwt(AuthgearJwt::ENDPOINT, storage_path('framework/cache/authgear')))->verify($token);
        } catch (Throwable $e) {
            return response()->json(['error' => 'invalid token'], 401, $challenge);
        }
        $request->attributes->set('authgear', $claims);
        return $next($request);
    }
}
