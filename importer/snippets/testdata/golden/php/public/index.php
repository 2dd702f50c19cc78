<?php
// A plain PHP API: GET / is open, GET /protected needs an Authgear access
// token. Run: composer install && php -S 127.0.0.1:${PORT:-3000} public/index.php
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';

use Authgear\AuthgearJwt;

function send_json(int $status, array $body, array $headers = []): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    foreach ($headers as $name => $value) {
        header("$name: $value");
    }
    echo json_encode($body), "\n";
}

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
if ($path === '/') {
    send_json(200, ['message' => 'public']);
    return;
}
if ($path !== '/protected') {
    send_json(404, ['error' => 'not found']);
    return;
}

$challenge = ['WWW-Authenticate' => 'Bearer error="invalid_token"'];
$auth = $_SERVER['HTTP_AUTHORIZATION'] ?? '';
if (!str_starts_with($auth, 'Bearer ') || strlen($auth) <= 7) {
    send_json(401, ['error' => 'missing bearer token'], $challenge);
    return;
}
try {
    // The key set is cached in var/cache (created 0700), a folder of the app.
    $claims = (new AuthgearJwt(AuthgearJwt::ENDPOINT, __DIR__ . '/../var/cache'))->verify(substr($auth, 7));
} catch (Throwable $e) {
    send_json(401, ['error' => 'invalid token'], $challenge);
    return;
}
send_json(200, ['sub' => $claims['sub']]);
