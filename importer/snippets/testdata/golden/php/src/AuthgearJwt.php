<?php
// Checks Authgear access tokens offline against Authgear's JWKS, with
// firebase/php-jwt. Framework-agnostic: public/index.php uses it as is, and
// app/Http/Middleware/AuthgearAuthenticate.php wraps it for Laravel.
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.

declare(strict_types=1);

namespace Authgear;

use Firebase\JWT\JWK;
use Firebase\JWT\JWT;
use UnexpectedValueException;

final class AuthgearJwt
{
    // The Authgear project's endpoint: the access tokens' issuer and audience.
    public const ENDPOINT = 'https://myapp.authgear.cloud';

    private JwksCache $keys;

    /**
     * $cacheDir is a folder only the app can write (created 0700 when
     * missing) where the key set is cached between requests; without it
     * the keys are kept in memory and APCu only. See JwksCache.
     */
    public function __construct(private string $endpoint = self::ENDPOINT, ?string $cacheDir = null)
    {
        $this->keys = new JwksCache($endpoint, $cacheDir);
    }

    /**
     * Returns the claims of an Authgear access token (sub is the user id):
     * signed by Authgear (RS256), not expired, issued by the endpoint for the
     * endpoint. Throws UnexpectedValueException (or a firebase/php-jwt
     * exception) otherwise.
     */
    public function verify(string $token): array
    {
        $jwks = $this->keys->get();
        if (!self::hasKey($jwks, self::keyId($token))) {
            // A key we do not have: Authgear may have rotated its keys. The
            // key set is fetched again at most once per JwksCache::COOLDOWN.
            $jwks = $this->keys->refresh();
            if ($jwks === null) {
                throw new UnexpectedValueException('no key for the token\'s "kid"');
            }
        }
        $claims = (array) JWT::decode($token, JWK::parseKeySet($jwks, 'RS256'));
        $aud = (array) ($claims['aud'] ?? []);
        if (($claims['iss'] ?? null) !== $this->endpoint) {
            throw new UnexpectedValueException('token issued by another issuer');
        }
        if (!in_array($this->endpoint, $aud, true)) {
            throw new UnexpectedValueException('token for another audience');
        }
        if (!isset($claims['exp']) || !is_string($claims['sub'] ?? null) || $claims['sub'] === '') {
            throw new UnexpectedValueException('token without exp or sub');
        }
        return $claims;
    }

    /** The "kid" of the token's header (not yet verified). */
    private static function keyId(string $token): string
    {
        $header = json_decode((string) base64_decode(strtr(explode('.', $token)[0], '-_', '+/'), true), true);
        $kid = is_array($header) ? ($header['kid'] ?? null) : null;
        if (!is_string($kid) || $kid === '') {
            throw new UnexpectedValueException('token without "kid"');
        }
        return $kid;
    }

    private static function hasKey(array $jwks, string $kid): bool
    {
        foreach ($jwks['keys'] ?? [] as $k) {
            if (is_array($k) && ($k['kid'] ?? null) === $kid) {
                return true;
            }
        }
        return false;
    }
}
