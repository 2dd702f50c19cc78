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

    private const CACHE_SECONDS = 600;

    private string $cacheFile;

    public function __construct(private string $endpoint = self::ENDPOINT, ?string $cacheDir = null)
    {
        $dir = $cacheDir ?? sys_get_temp_dir();
        $this->cacheFile = $dir . '/authgear-jwks-' . sha1($endpoint) . '.json';
    }

    /**
     * Returns the claims of an Authgear access token (sub is the user id):
     * signed by Authgear (RS256), not expired, issued by the endpoint for the
     * endpoint. Throws UnexpectedValueException (or a firebase/php-jwt
     * exception) otherwise.
     */
    public function verify(string $token): array
    {
        try {
            $claims = JWT::decode($token, JWK::parseKeySet($this->jwks(false), 'RS256'));
        } catch (UnexpectedValueException $e) {
            if (!str_contains($e->getMessage(), '"kid"')) {
                throw $e;
            }
            // A key we do not have yet: Authgear may have rotated its keys.
            $claims = JWT::decode($token, JWK::parseKeySet($this->jwks(true), 'RS256'));
        }
        $claims = (array) $claims;
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

    /** The JWK set, cached in a file for CACHE_SECONDS. */
    private function jwks(bool $refresh): array
    {
        if (!$refresh && is_file($this->cacheFile) && time() - filemtime($this->cacheFile) < self::CACHE_SECONDS) {
            $cached = json_decode((string) file_get_contents($this->cacheFile), true);
            if (is_array($cached)) {
                return $cached;
            }
        }
        $doc = $this->getJson($this->endpoint . '/.well-known/openid-configuration');
        $jwksUri = (string) ($doc['jwks_uri'] ?? '');
        if (($doc['issuer'] ?? null) !== $this->endpoint || !str_starts_with($jwksUri, $this->endpoint . '/')) {
            throw new UnexpectedValueException('the OpenID configuration is for another issuer');
        }
        $jwks = $this->getJson($jwksUri);
        file_put_contents($this->cacheFile, json_encode($jwks), LOCK_EX);
        return $jwks;
    }

    private function getJson(string $url): array
    {
        $ctx = stream_context_create(['http' => ['timeout' => 10]]);
        $body = @file_get_contents($url, false, $ctx);
        $data = $body === false ? null : json_decode($body, true);
        if (!is_array($data)) {
            throw new UnexpectedValueException("cannot read $url");
        }
        return $data;
    }
}
