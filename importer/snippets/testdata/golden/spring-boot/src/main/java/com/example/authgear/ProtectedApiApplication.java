// A Spring Boot API whose /protected route accepts only Authgear access
// tokens (configured in src/main/resources/application.yml).
// Authgear: enable "Issue JWT as access token" for this client in the Authgear portal; users migrated by authgear-migrate must sign in again through Authgear to get one.
package com.example.authgear;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@SpringBootApplication
@RestController
public class ProtectedApiApplication {

    public static void main(String[] args) {
        SpringApplication.run(ProtectedApiApplication.class, args);
    }

    // GET / is open; everything else needs a valid Authgear access token
    // (401 without one or with a bad one).
    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
        http
            .authorizeHttpRequests(auth -> auth
                .requestMatchers("/").permitAll()
                .anyRequest().authenticated())
            .oauth2ResourceServer(oauth2 -> oauth2.jwt(Customizer.withDefaults()))
            .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .csrf(csrf -> csrf.disable());
        return http.build();
    }

    @GetMapping("/")
    public Map<String, Object> index() {
        return Map.of("message", "public");
    }

    // sub is the Authgear user id.
    @GetMapping("/protected")
    public Map<String, Object> protectedRoute(@AuthenticationPrincipal Jwt jwt) {
        return Map.of("sub", jwt.getSubject());
    }
}
