package dev.berth.web;

import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/** Clears a flash once a page (not a redirect) has answered the request that carried it. */
public class FlashClearFilter {
    @ServerResponseFilter
    public void clear(HttpServerRequest request, ContainerResponseContext response) {
        int status = response.getStatus();
        if (request.getCookie(Flash.COOKIE) != null && (status < 300 || status >= 400)) {
            response.getHeaders().add("Set-Cookie", Flash.COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        }
    }
}
