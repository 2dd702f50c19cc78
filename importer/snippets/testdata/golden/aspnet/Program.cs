// An ASP.NET Core API whose /protected route accepts only Authgear access
// tokens. AddJwtBearer reads the OpenID configuration of the Authority and
// caches its JWKS; iss, aud, the RS256 signature and exp are checked.
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

// The Authgear project's endpoint: the access tokens' issuer and audience.
const string AuthgearEndpoint = "https://myapp.authgear.cloud";

var builder = WebApplication.CreateBuilder(args);
builder.Services
    .AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
    .AddJwtBearer(options =>
    {
        options.Authority = AuthgearEndpoint;
        options.RequireHttpsMetadata = AuthgearEndpoint.StartsWith("https://");
        options.MapInboundClaims = false; // keep "sub" as "sub"
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = AuthgearEndpoint,
            ValidateAudience = true,
            ValidAudience = AuthgearEndpoint,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ValidAlgorithms = new[] { SecurityAlgorithms.RsaSha256 },
            ClockSkew = TimeSpan.FromSeconds(30),
        };
    });
builder.Services.AddAuthorization();

var host = Environment.GetEnvironmentVariable("HOST") ?? "127.0.0.1";
var port = Environment.GetEnvironmentVariable("PORT") ?? "3000";
builder.WebHost.UseUrls($"http://{host}:{port}");

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/", () => Results.Json(new { message = "public" }));

// sub is the Authgear user id.
app.MapGet("/protected", (ClaimsPrincipal user) => Results.Json(new { sub = user.FindFirstValue("sub") }))
    .RequireAuthorization();

app.Run();
