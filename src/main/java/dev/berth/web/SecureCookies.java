package dev.berth.web;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.MultiMap;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every cookie Berth sets on a request that reached it over HTTPS is marked {@code Secure}, including behind a TLS
 * ingress: the scheme is the one a trusted proxy forwarded ({@code quarkus.http.proxy.*}), never one a client claims.
 * One place for every cookie (the flash message, the tenant switch, any later one) rather than a flag at each.
 */
public class SecureCookies {
    private static final Pattern SECURE = Pattern.compile("(?i);\\s*secure\\s*(;|$)");

    void register(@Observes Filters filters) {
        filters.register(ctx -> {
            if ("https".equalsIgnoreCase(ctx.request().scheme())) {
                ctx.addHeadersEndHandler(v -> {
                    MultiMap headers = ctx.response().headers();
                    List<String> cookies = headers.getAll("Set-Cookie");
                    if (!cookies.isEmpty() && cookies.stream().anyMatch(c -> !SECURE.matcher(c).find())) {
                        headers.remove("Set-Cookie");
                        cookies.forEach(c -> headers.add("Set-Cookie", SECURE.matcher(c).find() ? c : c + "; Secure"));
                    }
                });
            }
            ctx.next();
        }, 900);
    }
}
