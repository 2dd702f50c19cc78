<?php
// Laravel routes (routes/api.php): /api/protected needs an Authgear access token.

use App\Http\Middleware\AuthgearAuthenticate;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;

Route::get('/protected', function (Request $request) {
    return ['sub' => $request->attributes->get('authgear')['sub']];
})->middleware(AuthgearAuthenticate::class);
