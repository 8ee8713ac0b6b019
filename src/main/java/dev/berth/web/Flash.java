package dev.berth.web;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The one-line confirmation a page shows after a change ("Host kvm-01 registered."): set on the redirect,
 * shown once by the next page, then cleared. Qute escapes it like any other text.
 */
@RequestScoped
@Named("flash")
public class Flash {
    static final String COOKIE = "berth-flash";

    @Inject
    HttpServerRequest request;

    /** Redirect after a successful form post (303, so a reload does not post again). */
    public static Response redirect(String location, String message) {
        return Response.seeOther(URI.create(location))
                .cookie(new NewCookie.Builder(COOKIE).value(URLEncoder.encode(message, StandardCharsets.UTF_8))
                        .path("/").httpOnly(true).sameSite(NewCookie.SameSite.LAX).maxAge(60).build())
                .build();
    }

    public String message() {
        Cookie c = request.getCookie(COOKIE);
        return c == null || c.getValue().isBlank() ? null : URLDecoder.decode(c.getValue(), StandardCharsets.UTF_8);
    }
}
