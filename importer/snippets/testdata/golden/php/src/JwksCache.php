<?php
// Authgear's JSON Web Key Set, fetched over TLS from the jwks_uri of the
// endpoint's OpenID configuration and cached: kept for MAX_AGE seconds, and
// fetched again for a token naming an unknown key id at most once per
// COOLDOWN seconds, as jose's createRemoteJWKSet does (cacheMaxAge,
// cooldownDuration), so that tokens with made-up key ids cannot make the
// app hammer Authgear.
//
// The cache is in this process's memory, in APCu when it is enabled, and in
// a file only inside a folder the app gives (public/index.php: var/cache of
// the project; Laravel: storage/framework/cache/authgear), never in a
// shared folder such as /tmp where another local user could plant their own
// key. A cache file is trusted only when it is a regular file (not a link)
// owned by the user PHP runs as, mode 0600, with one link, for this
// endpoint, and shaped like a key set; anything else is ignored and the
// keys are fetched again. It is written to a new temporary file and renamed
// over, which replaces a planted link instead of writing through it.

declare(strict_types=1);

namespace Authgear;

use UnexpectedValueException;

final class JwksCache
{
    public const MAX_AGE = 600;
    public const COOLDOWN = 30;
    private const MAX_BYTES = 1 << 20;

    /** @var array<string, array{fetched_at: int, jwks: array}> */
    private static array $memory = [];

    public function __construct(private string $endpoint, private ?string $cacheDir = null)
    {
    }

    /** The key set: the cached one while younger than MAX_AGE, else fetched. */
    public function get(): array
    {
        $entry = $this->load();
        if ($entry !== null && time() - $entry['fetched_at'] < self::MAX_AGE) {
            return $entry['jwks'];
        }
        return $this->fetch();
    }

    /**
     * The key set fetched again because a token names a key id it lacks
     * (Authgear may have rotated its keys), or null when the last fetch is
     * younger than COOLDOWN: the token is then refused without a fetch.
     */
    public function refresh(): ?array
    {
        $entry = $this->load();
        if ($entry !== null && time() - $entry['fetched_at'] < self::COOLDOWN) {
            return null;
        }
        return $this->fetch();
    }

    private function key(): string
    {
        return 'authgear-jwks-' . sha1($this->endpoint);
    }

    /** @return array{fetched_at: int, jwks: array}|null */
    private function load(): ?array
    {
        $key = $this->key();
        $entries = [self::$memory[$key] ?? null];
        if (self::apcu()) {
            $entries[] = apcu_fetch($key);
        }
        $entries[] = $this->readFile();
        $best = null;
        foreach ($entries as $entry) {
            if ($this->valid($entry) && ($best === null || $entry['fetched_at'] > $best['fetched_at'])) {
                $best = $entry;
            }
        }
        return $best;
    }

    private function store(array $jwks): void
    {
        $entry = ['endpoint' => $this->endpoint, 'fetched_at' => time(), 'jwks' => $jwks];
        $key = $this->key();
        self::$memory[$key] = $entry;
        if (self::apcu()) {
            apcu_store($key, $entry, self::MAX_AGE);
        }
        $this->writeFile($entry);
    }

    private static function apcu(): bool
    {
        return function_exists('apcu_enabled') && apcu_enabled();
    }

    /** An entry of this endpoint, fetched in the past, holding a key set. */
    private function valid(mixed $entry): bool
    {
        if (!is_array($entry) || ($entry['endpoint'] ?? null) !== $this->endpoint) {
            return false;
        }
        $at = $entry['fetched_at'] ?? null;
        if (!is_int($at) || $at > time() + 5) {
            return false;
        }
        return self::isKeySet($entry['jwks'] ?? null);
    }

    private static function isKeySet(mixed $jwks): bool
    {
        if (!is_array($jwks) || !is_array($jwks['keys'] ?? null) || $jwks['keys'] === [] || !array_is_list($jwks['keys'])) {
            return false;
        }
        foreach ($jwks['keys'] as $k) {
            if (!is_array($k) || !is_string($k['kty'] ?? null)) {
                return false;
            }
        }
        return true;
    }

    /** The cache file, when a folder was given and PHP can tell owners. */
    private function file(): ?string
    {
        if ($this->cacheDir === null || $this->cacheDir === '' || !function_exists('posix_geteuid')) {
            return null;
        }
        return rtrim($this->cacheDir, '/') . '/' . $this->key() . '.json';
    }

    private function readFile(): ?array
    {
        $file = $this->file();
        if ($file === null) {
            return null;
        }
        clearstatcache(true, $file);
        $st = @lstat($file);
        if ($st === false || !self::trusted($st)) {
            return null;
        }
        $fh = @fopen($file, 'rb');
        if ($fh === false) {
            return null;
        }
        try {
            // The file opened is the one checked (not swapped since).
            $fst = fstat($fh);
            if ($fst === false || $fst['ino'] !== $st['ino'] || $fst['dev'] !== $st['dev'] || !self::trusted($fst)) {
                return null;
            }
            $data = stream_get_contents($fh, self::MAX_BYTES);
        } finally {
            fclose($fh);
        }
        $entry = is_string($data) ? json_decode($data, true) : null;
        return is_array($entry) ? $entry : null;
    }

    /** A regular file of ours, mode 0600 (nothing for group or others), one link. */
    private static function trusted(array $st): bool
    {
        return ($st['mode'] & 0170000) === 0100000
            && $st['uid'] === posix_geteuid()
            && ($st['mode'] & 0077) === 0
            && $st['nlink'] === 1;
    }

    private function writeFile(array $entry): void
    {
        $file = $this->file();
        if ($file === null) {
            return;
        }
        $dir = dirname($file);
        if (!is_dir($dir) && !@mkdir($dir, 0700, true)) {
            return;
        }
        if (is_link($dir)) {
            return;
        }
        $tmp = @tempnam($dir, 'authgear-jwks-');
        if ($tmp === false || dirname($tmp) !== $dir) {
            if ($tmp !== false) {
                @unlink($tmp);
            }
            return;
        }
        if (@chmod($tmp, 0600) && @file_put_contents($tmp, json_encode($entry)) !== false && @rename($tmp, $file)) {
            return;
        }
        @unlink($tmp);
    }

    private function fetch(): array
    {
        $doc = $this->getJson($this->endpoint . '/.well-known/openid-configuration');
        $jwksUri = (string) ($doc['jwks_uri'] ?? '');
        if (($doc['issuer'] ?? null) !== $this->endpoint || !str_starts_with($jwksUri, $this->endpoint . '/')) {
            throw new UnexpectedValueException('the OpenID configuration is for another issuer');
        }
        $jwks = $this->getJson($jwksUri);
        if (!self::isKeySet($jwks)) {
            throw new UnexpectedValueException('the JWKS holds no keys');
        }
        $this->store($jwks);
        return $jwks;
    }

    private function getJson(string $url): array
    {
        $ctx = stream_context_create([
            'http' => ['timeout' => 10, 'follow_location' => 0],
            'ssl' => ['verify_peer' => true, 'verify_peer_name' => true, 'allow_self_signed' => false],
        ]);
        $body = @file_get_contents($url, false, $ctx, 0, self::MAX_BYTES);
        $data = $body === false ? null : json_decode($body, true);
        if (!is_array($data)) {
            throw new UnexpectedValueException("cannot read $url");
        }
        return $data;
    }
}
